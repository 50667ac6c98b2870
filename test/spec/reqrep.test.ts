// RFC 28 (REQREP): REQ and REP. ROUTER/DEALER peers show the raw envelopes.
import { describe, expect, it } from "vitest";
import { Dealer, Reply, Request, Router } from "../../index.js";
import { T, collect, drain, rejectionCode, settled, str, transports, uniqueInproc, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`REQ over ${t.name}`, () => {
    const s = useSockets();

    it("REQ SHALL prefix the outgoing message with an empty delimiter frame; the reply comes back without it", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ routingId: "Q" }));
      req.connect(addr);
      await req.send(["hello", "world"]);
      expect(str(await router.receive())).toEqual(["Q", "", "hello", "world"]);
      await router.send(["Q", "", "re", "ply"]);
      expect(str(await req.receive())).toEqual(["re", "ply"]);
    }, T);

    it("REQ SHALL route outgoing messages to connected peers using a round-robin strategy", async () => {
      const routers = [0, 1, 2].map(() => s(new Router()));
      const req = s(new Request());
      for (const r of routers) req.connect(await t.bind(r));
      const log: number[] = [];
      const serve = routers.map((r, k) => (async () => {
        for (let j = 0; j < 2; j++) {
          const [id, delim, body] = await r.receive();
          log.push(k);
          await r.send([id!, delim!, body!]);
        }
      })());
      for (let i = 0; i < 6; i++) {
        await req.send(String(i));
        expect(str(await req.receive())).toEqual([String(i)]);
      }
      await Promise.all(serve);
      expect([...log.slice(0, 3)].sort()).toEqual([0, 1, 2]);
      expect(log.slice(3)).toEqual(log.slice(0, 3));
    }, T);

    it("REQ SHALL accept an incoming message only from the last peer it sent a request to", async () => {
      const r1 = s(new Router());
      const r2 = s(new Router());
      const req = s(new Request({ routingId: "Q" }));
      req.connect(await t.bind(r1));
      req.connect(await t.bind(r2));
      await t.connected(r2, 1);
      await req.send("request");
      expect(str(await r1.receive())).toEqual(["Q", "", "request"]);
      await r2.send(["Q", "", "not from r1"]);
      await r1.send(["Q", "", "from r1"]);
      expect(str(await req.receive())).toEqual(["from r1"]);
    }, T);

    it("REQ discards malformed replies (no delimiter, or a delimiter with no body)", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ routingId: "Q" }));
      req.connect(addr);
      await req.send("x");
      await router.receive();
      await router.send(["Q", "no delimiter"]);
      await router.send(["Q", ""]);
      await router.send(["Q", "", "good"]);
      expect(str(await req.receive())).toEqual(["good"]);
    }, T);

    it("REQ SHALL block on sending, or return a suitable error, when it has no connected peers", async () => {
      const req = s(new Request({ sendTimeout: 0 }));
      expect(await rejectionCode(req.send("x"))).toBe("EAGAIN");
      req.sendTimeout = 20;
      expect(await rejectionCode(req.send("x"))).toBe("EAGAIN");
    }, T);

    it("EFSM: a second send before the reply, and receive before any send, reject at once", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request());
      expect(await rejectionCode(req.receive())).toBe("EFSM");
      req.connect(addr);
      await req.send("first");
      expect(await rejectionCode(req.send("second"))).toBe("EFSM");
      const [id] = await router.receive();
      expect(await drain(router, t.quietMs)).toEqual([]);
      await router.send([id!, "", "answer"]);
      expect(str(await req.receive())).toEqual(["answer"]);
      expect(await rejectionCode(req.receive())).toBe("EFSM");
    }, T);

    it("a receive() may follow a send() that is still waiting for a peer; a second send is EFSM at once", async () => {
      const req = s(new Request());
      const sent = req.send("queued"); // no peer at all: this send waits
      const reply = req.receive();
      expect(await rejectionCode(req.send("too many"))).toBe("EFSM");
      const rep = s(new Reply());
      req.connect(await t.bind(rep));
      await sent;
      expect(str(await rep.receive())).toEqual(["queued"]);
      await rep.send("answer");
      expect(str(await reply)).toEqual(["answer"]);
    }, T);

    it("relaxed allows a new request before the reply; correlate drops the stale reply", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ relaxed: true, correlate: true }));
      req.connect(addr);
      await req.send("A");
      await req.send("B");
      const [a, b] = await collect(router, 2);
      expect(a!.length).toBe(4);
      expect(a![1]!.length).toBe(4); // 4-byte request id
      expect(a![2]!.length).toBe(0);
      expect(a![3]!.toString()).toBe("A");
      expect(a![1]!.equals(b![1]!)).toBe(false);
      await router.send([a![0]!, a![1]!, "", "reply to A"]);
      await router.send([b![0]!, b![1]!, "", "reply to B"]);
      expect(str(await req.receive())).toEqual(["reply to B"]);
    }, T);

    it("correlate: a reply with the wrong request id is dropped", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ correlate: true }));
      req.connect(addr);
      await req.send("q");
      const [id, reqId] = await router.receive();
      await router.send([id!, Buffer.from([9, 9, 9, 9]), "", "wrong id"]);
      await router.send([id!, "", "no id"]);
      await router.send([id!, reqId!, "", "right id"]);
      expect(str(await req.receive())).toEqual(["right id"]);
      expect(req.correlate).toBe(true);
    }, T);

    it("relaxed without correlate: a new request may be sent before the reply", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ relaxed: true }));
      req.connect(addr);
      await req.send("A");
      await req.send("B");
      expect((await collect(router, 2)).map((m) => str(m).slice(1))).toEqual([["", "A"], ["", "B"]]);
    }, T);

    it("probeRouter: a REQ announces itself to a ROUTER with an empty message on connect", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const req = s(new Request({ probeRouter: true, routingId: "P" }));
      req.connect(addr);
      expect(str(await router.receive())).toEqual(["P", ""]);
    }, T);
  });

  describe(`REP over ${t.name}`, () => {
    const s = useSockets();

    it("REP SHALL remove and store the envelope, pass on the body, and restore the envelope on the reply", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const dealer = s(new Dealer());
      dealer.connect(addr);
      await dealer.send(["X", "Y", "", "BODY", "2"]);
      expect(str(await rep.receive())).toEqual(["BODY", "2"]);
      await rep.send("REPLY");
      expect(str(await dealer.receive())).toEqual(["X", "Y", "", "REPLY"]);
    }, T);

    it("REP SHALL receive incoming messages from its peers using a fair-queuing strategy, replying to each originator", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const dealers = [0, 1, 2].map(() => s(new Dealer()));
      for (const d of dealers) d.connect(addr);
      await t.connected(rep, 3);
      for (const [k, d] of dealers.entries()) for (let i = 0; i < 2; i++) await d.send(["", `${k}:${i}`]);
      for (let n = 0; n < 6; n++) {
        const [body] = await rep.receive();
        await rep.send("re " + body!.toString());
      }
      for (const [k, d] of dealers.entries()) {
        expect((await collect(d, 2)).map(str)).toEqual([["", `re ${k}:0`], ["", `re ${k}:1`]]);
      }
    }, T);

    it("REQ <-> REP end to end, many round trips", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const req = s(new Request());
      req.connect(addr);
      for (let i = 0; i < 20; i++) {
        await req.send(["ping", String(i)]);
        const m = await rep.receive();
        await rep.send(["pong", ...m.slice(1)]);
        expect(str(await req.receive())).toEqual(["pong", String(i)]);
      }
    }, T);

    it("EFSM: REP send before receive rejects at once, and so does a receive before the reply", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      expect(await rejectionCode(rep.send("x"))).toBe("EFSM");
      const req = s(new Request());
      req.connect(addr);
      await req.send("q");
      await rep.receive();
      expect(await rejectionCode(rep.receive())).toBe("EFSM");
      await rep.send("a");
      expect(await rejectionCode(rep.send("again"))).toBe("EFSM");
      expect(str(await req.receive())).toEqual(["a"]);
    }, T);

    it("REP SHALL silently discard the reply if the originating peer has disconnected", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const gone = s(new Request());
      gone.connect(addr);
      await gone.send("q1");
      expect(str(await rep.receive())).toEqual(["q1"]);
      gone.close();
      await t.disconnected(rep, 1);
      await expect(rep.send("lost")).resolves.toBeUndefined();
      const next = s(new Request());
      next.connect(addr);
      await next.send("q2");
      expect(str(await rep.receive())).toEqual(["q2"]);
      await rep.send("a2");
      expect(str(await next.receive())).toEqual(["a2"]);
    }, T);

    it("REP discards malformed requests (no delimiter, or nothing after it)", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const dealer = s(new Dealer());
      dealer.connect(addr);
      await dealer.send(["no delimiter"]);
      await dealer.send([""]);
      await dealer.send(["", "ok"]);
      expect(str(await rep.receive())).toEqual(["ok"]);
    }, T);

    it("ROUTER -> DEALER -> REP: a multi-hop envelope comes back intact", async () => {
      const rep = s(new Reply());
      const addr = await t.bind(rep);
      const dealer = s(new Dealer());
      dealer.connect(addr);
      await dealer.send(["hop2", "hop1", "", "req"]);
      expect(str(await rep.receive())).toEqual(["req"]);
      await rep.send(["rep", "ly"]);
      expect(str(await dealer.receive())).toEqual(["hop2", "hop1", "", "rep", "ly"]);
    }, T);
  });
}

describe("REQ/REP, inproc-only facts", () => {
  const s = useSockets();

  // inproc only: over tcp the REQ's session keeps the pipe across reconnects
  // (as libzmq), so the REQ keeps waiting for r1
  it("once the peer a request went to is gone, a reply from another peer is accepted (as libzmq)", async () => {
    const r1 = s(new Router());
    const r2 = s(new Router());
    const req = s(new Request({ routingId: "Q" }));
    const a1 = uniqueInproc();
    const a2 = uniqueInproc();
    await r1.bind(a1);
    await r2.bind(a2);
    req.connect(a1);
    req.connect(a2);
    await req.send("request");
    expect(str(await r1.receive())).toEqual(["Q", "", "request"]);
    r1.close();
    await settled();
    await r2.send(["Q", "", "from r2"]);
    expect(str(await req.receive())).toEqual(["from r2"]);
  }, T);

  // needs the reply queued at the REQ before the new request: over a network
  // its arrival cannot be awaited without receiving it
  it("relaxed: a reply already queued when a new request goes out is discarded (libzmq eats it)", async () => {
    const router = s(new Router());
    const addr = uniqueInproc();
    await router.bind(addr);
    const req = s(new Request({ relaxed: true, routingId: "Q" }));
    req.connect(addr);
    await req.send("A");
    expect(str(await router.receive())).toEqual(["Q", "", "A"]);
    await router.send(["Q", "", "reply to A"]);
    await req.send("B");
    await router.receive();
    await router.send(["Q", "", "reply to B"]);
    expect(str(await req.receive())).toEqual(["reply to B"]);
  }, T);

  // exact interleaving needs every peer's messages queued before the first
  // read; over a network the arrival order is the kernel's
  it("REP fair-queues exactly: one request from each peer in turn", async () => {
    const addr = uniqueInproc();
    const rep = s(new Reply());
    await rep.bind(addr);
    const dealers = ["A", "B"].map(() => s(new Dealer()));
    for (const d of dealers) d.connect(addr);
    for (const [k, d] of dealers.entries()) for (let i = 0; i < 2; i++) await d.send(["", "AB"[k]! + i]);
    const order: string[] = [];
    for (let n = 0; n < 4; n++) {
      order.push((await rep.receive())[0]!.toString());
      await rep.send("ok");
    }
    expect(order).toEqual(["A0", "B0", "A1", "B1"]);
  }, T);
});
