// RFC 29 (PUBSUB): PUB and SUB. Each case quotes the RFC sentence it checks.
import { describe, expect, it } from "vitest";
import { Publisher, Subscriber, XSubscriber } from "../../index.js";
import { T, collect, drain, rejectionCode, str, transports, uniqueInproc, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`PUB/SUB over ${t.name}`, () => {
    const s = useSockets();

    async function pubWithSubs(n: number, pubOpts = {}, subOpts = {}) {
      const pub = s(new Publisher(pubOpts));
      const addr = await t.bind(pub);
      const subs = Array.from({ length: n }, () => s(new Subscriber(subOpts)));
      for (const sub of subs) sub.connect(addr);
      await t.connected(pub, n);
      return { pub, subs, addr };
    }

    it("SUB SHALL filter by a binary prefix match of each subscription against the start of the message", async () => {
      const { pub, subs: [sub] } = await pubWithSubs(1);
      sub!.subscribe("A", Buffer.from([0, 0xff]));
      await t.subscribed(pub, sub!);
      for (const m of ["A1", "B2", "AB", "a3", "\u0000\u00ff"]) await pub.send(m);
      await pub.send([Buffer.from([0, 0xff, 1]), "x"]);
      await pub.send([Buffer.from([0, 0xfe]), "y"]);
      await pub.send("end");
      sub!.subscribe("end");
      await t.subscribed(pub, sub!);
      await pub.send("end");
      const got = await collect(sub!, 3);
      expect(str(got[0]!)).toEqual(["A1"]);
      expect(str(got[1]!)).toEqual(["AB"]);
      expect([...got[2]![0]!]).toEqual([0, 0xff, 1]);
      expect(str(await sub!.receive())).toEqual(["end"]);
    }, T);

    it("an empty subscription matches all messages; unsubscribe() with no argument removes it", async () => {
      const { pub, subs: [sub] } = await pubWithSubs(1);
      sub!.subscribe();
      await t.subscribed(pub, sub!);
      await pub.send("anything");
      await pub.send(["", "empty first frame"]);
      expect((await collect(sub!, 2)).map(str)).toEqual([["anything"], ["", "empty first frame"]]);
      sub!.unsubscribe();
      sub!.subscribe("z");
      await t.subscribed(pub, sub!);
      await pub.send("dropped");
      await pub.send("z");
      expect(str(await sub!.receive())).toEqual(["z"]);
    }, T);

    it("PUB SHALL send each message to every matching subscriber (fan-out), each in order", async () => {
      const { pub, subs } = await pubWithSubs(3);
      subs[0]!.subscribe("");
      subs[1]!.subscribe("x");
      subs[2]!.subscribe("y");
      await t.subscribed(pub, ...subs);
      for (const m of ["x1", "y1", "x2", "z1"]) await pub.send(m);
      expect((await collect(subs[0]!, 4)).map(str)).toEqual([["x1"], ["y1"], ["x2"], ["z1"]]);
      expect((await collect(subs[1]!, 2)).map(str)).toEqual([["x1"], ["x2"]]);
      expect((await collect(subs[2]!, 1)).map(str)).toEqual([["y1"]]);
    }, T);

    it("subscriptions are counted: two subscribes to a topic need two unsubscribes", async () => {
      const { pub, subs: [sub] } = await pubWithSubs(1);
      sub!.subscribe("t", "t");
      sub!.unsubscribe("t");
      await t.subscribed(pub, sub!);
      await pub.send("t1");
      expect(str(await sub!.receive())).toEqual(["t1"]);
      sub!.unsubscribe("t");
      sub!.subscribe("u");
      await t.subscribed(pub, sub!);
      await pub.send("t2");
      await pub.send("u1");
      expect(str(await sub!.receive())).toEqual(["u1"]);
    }, T);

    it("SUB SHALL not modify incoming messages in any way (multipart, binary, empty parts)", async () => {
      const { pub, subs: [sub] } = await pubWithSubs(1);
      sub!.subscribe("k");
      await t.subscribed(pub, sub!);
      const bin = Buffer.from([0, 1, 2, 255]);
      await pub.send(["k", "", bin, null]);
      const m = await sub!.receive();
      expect(m.length).toBe(4);
      expect(m[0]!.toString()).toBe("k");
      expect(m[1]!.length + m[3]!.length).toBe(0);
      expect(m[2]!.equals(bin)).toBe(true);
    }, T);

    it("PUB SHALL NOT block on sending: with no subscribers the message is dropped at once", async () => {
      const pub = s(new Publisher({ sendTimeout: 0 }));
      await t.bind(pub);
      await expect(pub.send("nobody")).resolves.toBeUndefined();
    }, T);

    it("PUB SHALL destroy a subscriber's queue when it disconnects and discard its messages", async () => {
      const { pub, subs: [gone], addr } = await pubWithSubs(1);
      gone!.subscribe();
      await t.subscribed(pub, gone!);
      await pub.send("old");
      gone!.close();
      await t.disconnected(pub, 1);
      const fresh = s(new Subscriber());
      fresh.connect(addr);
      fresh.subscribe();
      await t.subscribed(pub, fresh);
      await pub.send("new");
      expect((await collect(fresh, 1)).map(str)).toEqual([["new"]]);
    }, T);

    it("SUB SHALL receive from its publishers using fair-queuing (each publisher's order kept)", async () => {
      const sub = s(new Subscriber());
      const addr1 = await t.bind(sub);
      const pubs = [s(new Publisher()), s(new Publisher())];
      for (const p of pubs) p.connect(addr1);
      sub.subscribe();
      await t.connected(sub, 2);
      await t.subscribed(pubs, sub);
      for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) await pubs[k]!.send(["P" + k, String(i)]);
      const got = (await collect(sub, 6)).map(str);
      for (const k of ["P0", "P1"]) expect(got.filter((m) => m[0] === k).map((m) => m[1])).toEqual(["0", "1", "2"]);
    }, T);

    it("subscriptions made before connecting are sent to each publisher on connect", async () => {
      const pub = s(new Publisher());
      const addr = await t.bind(pub);
      const sub = s(new Subscriber());
      sub.subscribe("early");
      sub.connect(addr);
      await t.connected(pub, 1);
      await t.subscribed(pub, sub);
      await pub.send("other");
      await pub.send("early bird");
      expect(str(await sub.receive())).toEqual(["early bird"]);
    }, T);

    it("invertMatching on PUB and SUB delivers only messages that match no subscription", async () => {
      const { pub, subs: [sub] } = await pubWithSubs(1, { invertMatching: true }, { invertMatching: true });
      sub!.subscribe("a");
      await t.subscribed(pub, sub!);
      for (const m of ["a1", "b1", "ab", "c1"]) await pub.send(m);
      expect((await collect(sub!, 2)).map(str)).toEqual([["b1"], ["c1"]]);
      expect(pub.invertMatching).toBe(true);
    }, T);

    it("invertMatching on PUB sends to peers whose subscriptions do not match (XSUB does not filter)", async () => {
      const pub = s(new Publisher({ invertMatching: true }));
      const addr = await t.bind(pub);
      const xsub = s(new XSubscriber());
      xsub.connect(addr);
      await xsub.send("\u0001a");
      await t.subscribed(pub, xsub);
      for (const m of ["a1", "b1", "a2", "c1"]) await pub.send(m);
      expect((await collect(xsub, 2)).map(str)).toEqual([["b1"], ["c1"]]);
    }, T);

    it("ENOTSUP: send() on SUB and receive() on PUB reject at once", async () => {
      const sub = s(new Subscriber()) as unknown as { send(m: string): Promise<void> };
      const pub = s(new Publisher()) as unknown as { receive(): Promise<Buffer[]> };
      expect(await rejectionCode(sub.send("x"))).toBe("ENOTSUP");
      expect(await rejectionCode(pub.receive())).toBe("ENOTSUP");
    }, T);
  });
}

describe("PUB/SUB, inproc-only facts", () => {
  const s = useSockets();

  // exact HWM: over a network socket buffers would hold the unsubscribed
  // messages anyway, so this would prove nothing there
  it("filtering happens at the publisher: unsubscribed messages never fill the subscriber's queue", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ sendHighWaterMark: 1 }));
    const sub = s(new Subscriber({ receiveHighWaterMark: 1 }));
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe("a");
    for (let i = 0; i < 10; i++) await pub.send("b" + i);
    await pub.send("a!");
    expect((await drain(sub)).map(str)).toEqual([["a!"]]);
  }, T);

  // needs messages queued at the SUB before the unsubscribe: over a network
  // their arrival cannot be awaited without reading them
  it("SUB filters again when the application reads: a queued message whose subscription went is dropped (as libzmq)", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher());
    const sub = s(new Subscriber());
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe("a", "b");
    await pub.send("a1");
    await pub.send("b1");
    sub.unsubscribe("a");
    expect((await drain(sub)).map(str)).toEqual([["b1"]]);
  }, T);

  // exact interleaving needs every peer's messages queued before the first
  // read; over a network the arrival order is the kernel's
  it("SUB fair-queues exactly: one message from each publisher in turn", async () => {
    const addr = uniqueInproc();
    const sub = s(new Subscriber());
    await sub.bind(addr);
    sub.subscribe();
    const pubs = [s(new Publisher()), s(new Publisher())];
    for (const p of pubs) p.connect(addr);
    for (let k = 0; k < 2; k++) for (let i = 0; i < 3; i++) await pubs[k]!.send(`P${k}-${i}`);
    expect((await drain(sub)).map((m) => m[0]!.toString())).toEqual(["P0-0", "P1-0", "P0-1", "P1-1", "P0-2", "P1-2"]);
  }, T);

  // conflate keeps the newest message queued when the application reads; over
  // a network that depends on when each message arrives
  it("conflate on SUB keeps only the newest message", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher());
    const sub = s(new Subscriber({ conflate: true }));
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe();
    for (let i = 0; i < 5; i++) await pub.send(String(i));
    expect((await drain(sub)).map(str)).toEqual([["4"]]);
    expect(sub.conflate).toBe(true);
  }, T);

  it("conflate on PUB keeps only the newest message per subscriber", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ conflate: true }));
    const sub = s(new Subscriber());
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe();
    for (let i = 0; i < 5; i++) await pub.send(String(i));
    expect((await drain(sub)).map(str)).toEqual([["4"]]);
  }, T);
});
