// Proxy (zmq_proxy as zeromq.js's Proxy): forwarding both ways, pause/resume,
// terminate, and run() on an unusable socket.
import { describe, expect, it } from "vitest";
import { Dealer, Proxy, Pull, Push, Reply, Request, Router } from "../../index.js";
import { T, collect, drain, rejectionCode, settled, str, transports, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`Proxy over ${t.name}`, () => {
    const s = useSockets();

    it("a ROUTER/DEALER broker forwards requests to REP workers and replies back to REQ clients", async () => {
      const front = s(new Router());
      const back = s(new Dealer());
      const frontAddr = await t.bind(front);
      const backAddr = await t.bind(back);
      const proxy = new Proxy(front, back);
      expect(proxy.frontEnd).toBe(front);
      expect(proxy.backEnd).toBe(back);
      const running = proxy.run();

      const reps = ["w0", "w1"].map(() => s(new Reply()));
      const workers = reps.map(async (rep, k) => {
        rep.connect(backAddr);
        for await (const [body] of rep) await rep.send([body!, "w" + k]);
      });
      const clients = [0, 1, 2].map(() => s(new Request()));
      for (const c of clients) c.connect(frontAddr);
      const replies = await Promise.all(clients.map(async (c, k) => {
        const got: string[][] = [];
        for (let i = 0; i < 4; i++) {
          await c.send(`c${k}-${i}`);
          got.push(str(await c.receive()));
        }
        return got;
      }));
      for (const [k, got] of replies.entries()) {
        expect(got.map((m) => m[0])).toEqual([0, 1, 2, 3].map((i) => `c${k}-${i}`));
        for (const m of got) expect(["w0", "w1"]).toContain(m[1]);
      }
      // both workers got a share of the 12 requests (DEALER round-robin)
      expect(new Set(replies.flat().map((m) => m[1])).size).toBe(2);
      proxy.terminate();
      await running;
      expect(front.closed && back.closed).toBe(true);
      for (const rep of reps) rep.close();
      await Promise.all(workers);
    }, T);

    it("pause holds messages, resume delivers them in order", async () => {
      const front = s(new Pull());
      const back = s(new Push());
      const frontAddr = await t.bind(front);
      const backAddr = await t.bind(back);
      const proxy = new Proxy(front, back);
      const running = proxy.run();
      const source = s(new Push());
      const sink = s(new Pull());
      source.connect(frontAddr);
      sink.connect(backAddr);
      await source.send("before");
      expect(str(await sink.receive())).toEqual(["before"]);
      proxy.pause();
      for (const m of ["p1", "p2", "p3"]) await source.send(m);
      await settled();
      expect(await drain(sink, t.quietMs)).toEqual([]);
      proxy.resume();
      expect((await collect(sink, 3)).map(str)).toEqual([["p1"], ["p2"], ["p3"]]);
      proxy.terminate();
      await running;
    }, T);

    it("terminate() resolves run(), even while paused", async () => {
      const front = s(new Pull());
      const back = s(new Push());
      await t.bind(front);
      await t.bind(back);
      const proxy = new Proxy(front, back);
      const running = proxy.run();
      proxy.pause();
      proxy.terminate();
      await expect(running).resolves.toBeUndefined();
      expect(() => proxy.resume()).toThrow();
    }, T);

    it("run() rejects with EINVAL when a socket is neither bound nor connected", async () => {
      const front = s(new Router());
      const back = s(new Dealer());
      await t.bind(front);
      expect(await rejectionCode(new Proxy(front, back).run())).toBe("EINVAL");
      expect(await rejectionCode(new Proxy(back, front).run())).toBe("EINVAL");
    }, T);
  });
}
