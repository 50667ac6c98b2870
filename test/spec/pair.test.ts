// RFC 31 (EXCLUSIVE PAIR). Each case quotes the RFC sentence it checks.
import { describe, expect, it } from "vitest";
import { Pair } from "../../index.js";
import { T, collect, drain, rejectionCode, settled, str, transports, uniqueInproc, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`PAIR over ${t.name}`, () => {
    const s = useSockets();

    it("SHALL not filter or modify outgoing messages; messages flow both ways", async () => {
      const a = s(new Pair());
      const addr = await t.bind(a);
      const b = s(new Pair());
      b.connect(addr);
      await b.send(["hello", "", "world"]);
      expect(str(await a.receive())).toEqual(["hello", "", "world"]);
      await a.send(["back", Buffer.from([0, 1, 2])]);
      const m = await b.receive();
      expect(m[0]!.toString()).toBe("back");
      expect([...m[1]!]).toEqual([0, 1, 2]);
    }, T);

    it("SHALL block on sending, or return a suitable error, when it has no connected peer", async () => {
      const a = s(new Pair({ sendTimeout: 0 }));
      await t.bind(a);
      expect(await rejectionCode(a.send("x"))).toBe("EAGAIN");
      a.sendTimeout = 20;
      expect(await rejectionCode(a.send("x"))).toBe("EAGAIN");
    }, T);

    it("SHALL NOT discard messages that it cannot queue: a waiting send goes when the peer comes", async () => {
      const a = s(new Pair());
      const addr = await t.bind(a);
      const pending = a.send("waited");
      const b = s(new Pair());
      b.connect(addr);
      await pending;
      expect(str(await b.receive())).toEqual(["waited"]);
    }, T);

    it("SHALL connect to at most one peer: a second peer is refused and exchanges nothing", async () => {
      const a = s(new Pair());
      const addr = await t.bind(a);
      const b = s(new Pair());
      b.connect(addr);
      await t.connected(a, 1);
      const c = s(new Pair({ sendTimeout: 50 }));
      c.connect(addr);
      await settled();
      // c's message never reaches a (libzmq accepts it into a dead pipe; omq's send times out)
      await c.send("from c").catch(() => undefined);
      await b.send("from b");
      for (let i = 0; i < 3; i++) await a.send(String(i));
      expect((await collect(a, 1)).map(str)).toEqual([["from b"]]);
      expect((await collect(b, 3)).map(str)).toEqual([["0"], ["1"], ["2"]]);
      expect(await drain(a, t.quietMs)).toEqual([]);
      expect(await drain(c, t.quietMs)).toEqual([]);
    }, T);

    it("after the peer goes away, a new peer is accepted and the old queue is discarded", async () => {
      const a = s(new Pair());
      const addr = await t.bind(a);
      const b = s(new Pair({ receiveHighWaterMark: 1 }));
      b.connect(addr);
      await t.connected(a, 1);
      await a.send("for b");
      b.close();
      await t.disconnected(a, 1);
      const d = s(new Pair());
      d.connect(addr);
      await a.send("for d");
      expect(str(await d.receive())).toEqual(["for d"]);
      await d.send("from d");
      expect(str(await a.receive())).toEqual(["from d"]);
    }, T);

    it("a PAIR that disconnects may connect to another peer", async () => {
      const a = s(new Pair());
      const addrA = await t.bind(a);
      const e = s(new Pair());
      const addrE = await t.bind(e);
      const b = s(new Pair());
      b.connect(addrA);
      await b.send("to a");
      expect(str(await a.receive())).toEqual(["to a"]);
      b.disconnect(addrA);
      // (libzmq keeps refusing until the old peer processes the pipe term; omq does not)
      await t.disconnected(b, 1);
      b.connect(addrE);
      await b.send("to e");
      expect(str(await e.receive())).toEqual(["to e"]);
      expect(await drain(a, t.quietMs)).toEqual([]);
    }, T);
  });
}

describe("PAIR, inproc-only facts", () => {
  const s = useSockets();

  // connect before bind needs an address known before the bind (an inproc
  // name; tcp port * is only known after it)
  it("a connect-before-bind that the PAIR refused never occupies the binder", async () => {
    const a1 = uniqueInproc();
    const n = uniqueInproc();
    const p = s(new Pair());
    await p.bind(a1);
    const x = s(new Pair());
    x.connect(a1);
    x.connect(n); // x already has its peer: this pipe is refused at once
    await settled();
    const y = s(new Pair());
    await y.bind(n);
    const z = s(new Pair());
    z.connect(n);
    await z.send("z to y");
    expect(str(await y.receive())).toEqual(["z to y"]);
  }, T);
});
