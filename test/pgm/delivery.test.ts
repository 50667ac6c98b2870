// pgm:// and epgm:// over loopback multicast (127.0.0.1 named explicitly, so
// nothing leaves the host): socket types, endpoints, fan-out with local
// filtering, fragmentation, several publishers, late joiners, rate limiting.
import { describe, expect, it } from "vitest";
import {
  Publisher, Push, Subscriber, XPublisher, XSubscriber, Pull, Request, capability,
} from "../../index.js";
import {
  PacketLog, collectEachWithin, digest, firstWithin, hooks, joined, mcastEndpoint, rampBytes, stats, until,
  useSockets,
} from "../helpers.js";

const track = useSockets();

describe("pgm transport: endpoints and socket types", () => {
  it("capability.pgm and capability.epgm are true", () => {
    expect(capability.pgm).toBe(true);
    expect(capability.epgm).toBe(true);
  });

  it("only PUB, SUB, XPUB and XSUB may use it (ENOCOMPATPROTO otherwise)", { timeout: 5000 }, async () => {
    for (const make of [() => new Push(), () => new Pull(), () => new Request()]) {
      const s = track(make());
      await expect(s.bind(mcastEndpoint())).rejects.toMatchObject({ code: "ENOCOMPATPROTO" });
      expect(() => s.connect(mcastEndpoint("pgm"))).toThrow(expect.objectContaining({ code: "ENOCOMPATPROTO" }));
    }
  });

  it("the interface must be local: unknown name or foreign address is EINVAL", { timeout: 5000 }, async () => {
    const pub = track(new Publisher());
    await expect(pub.bind(mcastEndpoint("epgm", "no-such-if0"))).rejects.toMatchObject({ code: "EINVAL" });
    await expect(pub.bind(mcastEndpoint("epgm", "192.0.2.77"))).rejects.toMatchObject({ code: "EINVAL" });
    const sub = track(new Subscriber());
    expect(() => sub.connect(mcastEndpoint("pgm", "no-such-if0"))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    // the interface part is required and the group must be multicast (endpoint parser)
    await expect(pub.bind("epgm://239.1.2.3:5555")).rejects.toMatchObject({ code: "EINVAL" });
    await expect(pub.bind("epgm://127.0.0.1;10.1.2.3:5555")).rejects.toMatchObject({ code: "EINVAL" });
  });

  it("an interface given by name works (lo)", { timeout: 5000 }, async () => {
    const ep = mcastEndpoint("epgm", "lo");
    const pub = track(new Publisher({ rate: 10000 }));
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    await pub.bind(ep);
    expect(pub.lastEndpoint).toBe(ep);
    await pub.send(["by-name", "ok"]);
    const [m] = await collectEachWithin(sub, 1);
    expect(m!.map(String)).toEqual(["by-name", "ok"]);
  });
});

describe("pgm transport: delivery", () => {
  it("one PUB, several SUBs with different subscriptions: each gets exactly its messages, large multipart ones whole", { timeout: 20000 }, async () => {
    const ep = mcastEndpoint();
    const pub = track(new Publisher({ rate: 20000, recoveryInterval: 5000 }));
    const subA = track(new Subscriber());
    const subB = track(new Subscriber());
    const subAll = track(new Subscriber());
    subA.subscribe("A");
    subB.subscribe("B");
    subAll.subscribe();
    for (const s of [subA, subB, subAll]) await joined(s, ep);
    await pub.bind(ep);

    // 3-part messages; every fifth carries a body spanning dozens of datagrams
    const sent: Buffer[][] = [];
    for (let i = 0; i < 60; i++) {
      const topic = ["A", "B", "C"][i % 3]!;
      const big = i % 5 === 0 ? 60000 + i : 100 + i;
      sent.push([Buffer.from(`${topic}${i}`), rampBytes(i, big), rampBytes(i + 1000, i % 7)]);
    }
    for (const m of sent) await pub.send(m);

    const want = (p: string) => sent.filter((m) => m[0]!.toString().startsWith(p));
    const [gotA, gotB, gotAll] = await Promise.all([
      collectEachWithin(subA, want("A").length),
      collectEachWithin(subB, want("B").length),
      collectEachWithin(subAll, sent.length),
    ]);
    expect(digest(gotA)).toEqual(digest(want("A")));
    expect(digest(gotB)).toEqual(digest(want("B")));
    expect(digest(gotAll)).toEqual(digest(sent));
    // nothing else arrives (no duplicates, no extra topics)
    expect(await firstWithin(subA, 300)).toBeUndefined();
    expect(await firstWithin(subB, 50)).toBeUndefined();
    // large messages really were fragmented
    expect(stats(pub).senders[0]!.odata).toBeGreaterThan(sent.length);
  });

  it("PUB may connect and SUB bind, with pgm:// as with epgm://", { timeout: 10000 }, async () => {
    const ep = mcastEndpoint("pgm");
    const sub = track(new Subscriber());
    sub.subscribe("t");
    await sub.bind(ep);
    const pub = track(new Publisher({ rate: 10000 }));
    await joined(pub, ep);
    for (let i = 0; i < 20; i++) await pub.send([`t${i}`, `payload ${i}`]);
    await pub.send(["x-not-subscribed"]);
    await pub.send(["t-last"]);
    const got = await collectEachWithin(sub, 21);
    expect(got.map((m) => m.map(String))).toEqual([
      ...Array.from({ length: 20 }, (_, i) => [`t${i}`, `payload ${i}`]),
      ["t-last"],
    ]);
  });

  it("an empty message part and a message of one empty frame survive", { timeout: 10000 }, async () => {
    const ep = mcastEndpoint();
    const pub = track(new Publisher({ rate: 10000 }));
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    await pub.bind(ep);
    await pub.send([Buffer.alloc(0)]);
    await pub.send(["", "", "x"]);
    const got = await collectEachWithin(sub, 2);
    expect(got).toEqual([[Buffer.alloc(0)], [Buffer.alloc(0), Buffer.alloc(0), Buffer.from("x")]]);
  });

  it("XPUB sees the subscribe-to-everything of a pgm sender (as libzmq); XSUB receives everything and its upstream messages go nowhere", { timeout: 10000 }, async () => {
    const ep = mcastEndpoint();
    const xsub = track(new XSubscriber());
    await joined(xsub, ep);
    await xsub.send(Buffer.from([1, 0x41])); // a subscription: dropped, multicast has no upstream
    await xsub.send("not a subscription");
    const xpub = track(new XPublisher({ rate: 10000 }));
    await xpub.bind(ep);
    const [sub] = await collectEachWithin(xpub, 1);
    expect(sub).toEqual([Buffer.from([1])]);
    await xpub.send(["B", "to everyone"]);
    const [m] = await collectEachWithin(xsub, 1);
    expect(m!.map(String)).toEqual(["B", "to everyone"]);
    expect(await firstWithin(xpub, 200)).toBeUndefined();
  });

  it("two publishers on one group: every message of each, each publisher's in order", { timeout: 15000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    const p1 = track(new Publisher({ rate: 10000 }));
    const p2 = track(new Publisher({ rate: 10000 }));
    await p1.bind(ep);
    await joined(p2, ep);
    const n = 80;
    for (let i = 0; i < n; i++) {
      await p1.send(["p1", String(i), rampBytes(i, i * 40)]);
      await p2.send(["p2", String(i), rampBytes(i, 3000 - i * 10)]);
    }
    const got = await collectEachWithin(sub, 2 * n);
    for (const who of ["p1", "p2"]) {
      const mine = got.filter((m) => m[0]!.toString() === who);
      expect(mine.map((m) => Number(m[1]!.toString()))).toEqual(Array.from({ length: n }, (_, i) => i));
      mine.forEach((m, i) => expect(m[2]).toEqual(rampBytes(i, who === "p1" ? i * 40 : 3000 - i * 10)));
    }
    expect(stats(sub).receivers[0]!.sessions).toBe(2);
    expect(await firstWithin(sub, 200)).toBeUndefined();
  });

  it("a late joiner starts at the current sequence: it gets what is sent after it joined, nothing older", { timeout: 15000 }, async () => {
    const ep = mcastEndpoint();
    const pub = track(new Publisher({ rate: 10000 }));
    const early = track(new Subscriber());
    early.subscribe();
    await joined(early, ep);
    await pub.bind(ep);
    for (let i = 0; i < 10; i++) await pub.send(["m", String(i), rampBytes(i, 2500)]);
    const first = await collectEachWithin(early, 10);
    expect(first.map((m) => m[1]!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));

    const late = track(new Subscriber());
    late.subscribe();
    await joined(late, ep);
    // the late joiner must not NAK the publisher's past: watch its NAKs
    const lateNaks = new PacketLog();
    hooks(late, { dropOutgoing: lateNaks.hook });
    for (let i = 10; i < 20; i++) await pub.send(["m", String(i), rampBytes(i, 2500)]);
    const [fromEarly, fromLate] = await Promise.all([collectEachWithin(early, 10), collectEachWithin(late, 10)]);
    const ids = Array.from({ length: 10 }, (_, i) => String(i + 10));
    expect(fromEarly.map((m) => m[1]!.toString())).toEqual(ids);
    expect(fromLate.map((m) => m[1]!.toString())).toEqual(ids);
    fromLate.forEach((m, i) => expect(m[2]).toEqual(rampBytes(i + 10, 2500)));
    expect(await firstWithin(late, 300)).toBeUndefined();
    expect(lateNaks.count((p) => p.type === "nak")).toBe(0);
    expect(stats(late).receivers[0]!.lost).toBe(0);
  });

  it("rate limits the sender: 160 KB at 800 kbit/s takes over a second", { timeout: 20000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    const pub = track(new Publisher({ rate: 800, sendHighWaterMark: 0 }));
    await pub.bind(ep);
    const n = 40;
    const size = 4000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await pub.send(rampBytes(i, size));
    // send() only queues: it returns long before the data can have gone out
    const queued = performance.now() - t0;
    const got = await collectEachWithin(sub, n, 10000);
    const elapsed = performance.now() - t0;
    expect(digest(got)).toEqual(digest(Array.from({ length: n }, (_, i) => [rampBytes(i, size)])));
    // 160 000 bytes (plus headers) at 100 000 bytes/s, minus one 20 ms bucket: >= 1.5 s.
    // Checked loosely: at least 1.2 s, and queueing was much faster than that.
    expect(elapsed).toBeGreaterThan(1200);
    expect(queued).toBeLessThan(elapsed / 2);
    expect(elapsed).toBeLessThan(15000);
  });

  it("a receiver drops at its HWM instead of buffering without bound", { timeout: 15000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber({ receiveHighWaterMark: 5 }));
    sub.subscribe();
    await joined(sub, ep);
    const pub = track(new Publisher({ rate: 10000 }));
    await pub.bind(ep);
    for (let i = 0; i < 30; i++) await pub.send(String(i));
    // nobody reads: wait until the receiver has handled all 30 (stats, bounded wait)
    await until(() => stats(sub).receivers[0]!.delivered === 30, 5000, "30 messages decoded");
    const r = stats(sub).receivers[0]!;
    expect(r.droppedAtHwm).toBe(25);
    const got = await collectEachWithin(sub, 5);
    expect(got.map((m) => m[0]!.toString())).toEqual(["0", "1", "2", "3", "4"]);
    expect(await firstWithin(sub, 100)).toBeUndefined();
  });

  it("close() flushes what was queued at the rate (linger -1), or drops it (linger 0)", { timeout: 15000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    const msgs = Array.from({ length: 20 }, (_, i) => [rampBytes(i, 3000)]);
    const lingering = track(new Publisher({ rate: 2000, linger: -1 }));
    await lingering.bind(ep);
    for (const m of msgs) await lingering.send(m);
    lingering.close(); // 60 KB at 250 KB/s still to go
    expect(digest(await collectEachWithin(sub, msgs.length))).toEqual(digest(msgs));

    const dropping = track(new Publisher({ rate: 2000, linger: 0 }));
    await dropping.bind(ep);
    for (const m of msgs) await dropping.send(m);
    dropping.close();
    expect(await firstWithin(sub, 500)).toBeUndefined();
  });

  it("close is idempotent and unbind stops the stream", { timeout: 10000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber());
    sub.subscribe();
    await sub.bind(ep);
    const pub = track(new Publisher({ rate: 10000, linger: 0 }));
    await pub.bind(ep);
    await pub.send("one");
    expect((await collectEachWithin(sub, 1))[0]!.toString()).toBe("one");
    await sub.unbind(ep);
    await pub.send("two");
    expect(await firstWithin(sub, 300)).toBeUndefined();
    expect(stats(sub).receivers).toHaveLength(0);
    pub.close();
    pub.close();
    sub.close();
    expect(stats(pub).senders).toHaveLength(0);
  });
});
