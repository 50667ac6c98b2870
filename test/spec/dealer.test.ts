// RFC 28 (REQREP): DEALER. Each case quotes the RFC sentence it checks.
import { describe, expect, it } from "vitest";
import { Dealer, Router } from "../../index.js";
import { T, collect, drain, rejectionCode, str, transports, uniqueInproc, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`DEALER over ${t.name}`, () => {
    const s = useSockets();

    it("DEALER SHALL route outgoing messages to available peers using a round-robin strategy", async () => {
      const routers = [0, 1, 2].map(() => s(new Router()));
      const dealer = s(new Dealer({ routingId: "D" }));
      for (const r of routers) dealer.connect(await t.bind(r));
      for (const r of routers) await t.connected(r, 1);
      for (let i = 0; i < 9; i++) await dealer.send(String(i));
      const got = await Promise.all(routers.map((r) => collect(r, 3)));
      const nums = got.map((msgs) => msgs.map((m) => Number(m[1]!.toString())));
      for (const n of nums) expect([n[1]! - n[0]!, n[2]! - n[1]!]).toEqual([3, 3]);
      expect(nums.map((n) => n[0]).sort()).toEqual([0, 1, 2]);
    }, T);

    it("DEALER does not add or remove envelope frames", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const dealer = s(new Dealer({ routingId: "D" }));
      dealer.connect(addr);
      await dealer.send(["a", "", "b"]);
      expect(str(await router.receive())).toEqual(["D", "a", "", "b"]);
      await router.send(["D", "", "x"]);
      expect(str(await dealer.receive())).toEqual(["", "x"]);
    }, T);

    it("DEALER SHALL receive incoming messages from its peers using a fair-queuing strategy", async () => {
      const dealer = s(new Dealer());
      const addr = await t.bind(dealer);
      const peers = [0, 1, 2].map(() => s(new Dealer()));
      for (const p of peers) p.connect(addr);
      await t.connected(dealer, 3);
      for (const [k, p] of peers.entries()) for (let i = 0; i < 3; i++) await p.send([String(k), String(i)]);
      const got = (await collect(dealer, 9)).map(str);
      for (const k of ["0", "1", "2"]) expect(got.filter((m) => m[0] === k).map((m) => m[1])).toEqual(["0", "1", "2"]);
    }, T);

    it("DEALER SHALL block on sending, or return a suitable error, when it has no available peers", async () => {
      const dealer = s(new Dealer({ sendTimeout: 0 }));
      expect(await rejectionCode(dealer.send("x"))).toBe("EAGAIN");
      dealer.sendTimeout = 20;
      expect(await rejectionCode(dealer.send("x"))).toBe("EAGAIN");
      dealer.sendTimeout = -1;
      const waiting = dealer.send("kept");
      const router = s(new Router());
      dealer.connect(await t.bind(router));
      await waiting;
      expect(str(await router.receive()).slice(1)).toEqual(["kept"]);
    }, T);

    it("if a peer disconnects, DEALER SHALL destroy its double queue and discard its messages", async () => {
      const dealer = s(new Dealer());
      const addr = await t.bind(dealer);
      const gone = s(new Dealer());
      const stays = s(new Dealer());
      gone.connect(addr);
      stays.connect(addr);
      await t.connected(dealer, 2);
      for (let i = 0; i < 4; i++) await dealer.send(String(i));
      gone.close();
      await t.disconnected(dealer, 1);
      for (let i = 4; i < 6; i++) await dealer.send(String(i));
      const got = (await collect(stays, 4)).map((m) => m[0]!.toString());
      expect(got.slice(2)).toEqual(["4", "5"]);
      expect(await drain(stays, t.quietMs)).toEqual([]);
    }, T);

    it("probeRouter: a DEALER announces itself to a ROUTER with an empty message on connect", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const dealer = s(new Dealer({ probeRouter: true, routingId: "P" }));
      dealer.connect(addr);
      expect(str(await router.receive())).toEqual(["P", ""]);
      await dealer.send("after probe");
      expect(str(await router.receive())).toEqual(["P", "after probe"]);
    }, T);
  });
}

describe("DEALER, inproc-only facts", () => {
  const s = useSockets();

  // conflate keeps the newest message queued when the application reads; over
  // a network that depends on when each message arrives
  it("conflate on DEALER keeps only the newest message each way", async () => {
    const addr = uniqueInproc();
    const router = s(new Router());
    await router.bind(addr);
    const dealer = s(new Dealer({ conflate: true, routingId: "C" }));
    dealer.connect(addr);
    for (let i = 0; i < 3; i++) await dealer.send(String(i));
    expect((await drain(router)).map(str)).toEqual([["C", "2"]]);
    for (let i = 0; i < 3; i++) await router.send(["C", "r" + i]);
    expect((await drain(dealer)).map(str)).toEqual([["r2"]]);
  }, T);

  // exact interleaving needs every peer's messages queued before the first
  // read; over a network the arrival order is the kernel's
  it("DEALER fair-queues exactly: one message from each peer in turn", async () => {
    const addr = uniqueInproc();
    const dealer = s(new Dealer());
    await dealer.bind(addr);
    const peers = [0, 1].map(() => s(new Dealer()));
    for (const p of peers) p.connect(addr);
    for (const [k, p] of peers.entries()) for (let i = 0; i < 2; i++) await p.send(`${k}${i}`);
    expect((await drain(dealer)).map((m) => m[0]!.toString())).toEqual(["00", "10", "01", "11"]);
  }, T);
});
