// High-water marks with libzmq's exact inproc numbers (tests/test_hwm.cpp,
// tests/test_sockopt_hwm.cpp). inproc only: an inproc pipe holds exactly
// SNDHWM + RCVHWM whole messages; stream transports add socket buffers (their
// back-pressure is tested in test/wire/backpressure.test.ts).
import { describe, expect, it } from "vitest";
import { Dealer, Pair, Publisher, Pull, Push, Router, Subscriber, XPublisher } from "../../index.js";
import { T, collect, drain, rejectionCode, sendUntilBlocked, str, uniqueInproc, useSockets, joinInOrder } from "../helpers.js";

const MAX_SENDS = 10_000;

describe("inproc HWM: PUSH -> PULL (test_hwm)", () => {
  const s = useSockets();

  /** test_hwm count_msg: sends with sendTimeout 0 until EAGAIN. */
  async function countMsg(sndhwm: number, rcvhwm: number, bindFirst: boolean): Promise<number> {
    const addr = uniqueInproc("hwm");
    const pull = s(new Pull({ receiveHighWaterMark: rcvhwm }));
    const push = s(new Push({ sendHighWaterMark: sndhwm }));
    await joinInOrder(pull, push, addr, bindFirst);
    const sent = await sendUntilBlocked(push, () => null, MAX_SENDS);
    const got = await drain(pull);
    expect(got.length).toBe(sent);
    // now it is possible to send one more
    push.sendTimeout = 0;
    await push.send("one more");
    expect(str(await pull.receive())).toEqual(["one more"]);
    return sent;
  }

  it("holds exactly 2000 messages with the default HWMs (1000 + 1000)", async () => {
    expect(await countMsg(1000, 1000, true)).toBe(2000);
  }, T);

  it("holds 2000 when the PUSH binds and the PULL connects", async () => {
    const addr = uniqueInproc();
    const push = s(new Push());
    const pull = s(new Pull());
    await push.bind(addr);
    pull.connect(addr);
    expect(await sendUntilBlocked(push)).toBe(2000);
  }, T);

  it("holds exactly 2 with both HWMs at 1, bind first or connect first", async () => {
    expect(await countMsg(1, 1, true)).toBe(2);
    expect(await countMsg(1, 1, false)).toBe(2);
  }, T);

  it("HWM 0 on either side means no limit: 10 000 sends never wait", async () => {
    for (const [snd, rcv] of [[0, 0], [1, 0], [0, 1]] as const) {
      expect(await countMsg(snd, rcv, true)).toBe(MAX_SENDS);
      expect(await countMsg(snd, rcv, false)).toBe(MAX_SENDS);
    }
  }, 20_000);

  it("counts resolved sends: the 2001st send waits until the PULL reads", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    const push = s(new Push());
    await pull.bind(addr);
    push.connect(addr);
    let resolved = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 2001; i++) sends.push(push.send(String(i)).then(() => void resolved++));
    await Promise.all(sends.slice(0, 2000));
    await Promise.resolve();
    expect(resolved).toBe(2000);
    // reading down to the low-water mark lets the waiting send through
    const first = await collect(pull, 1001);
    await sends[2000];
    expect(resolved).toBe(2001);
    expect(str(first[0]!)).toEqual(["0"]);
    const rest = await collect(pull, 1000);
    expect(str(rest[999]!)).toEqual(["2000"]);
  }, T);

  it("before a bind, a connecting PUSH holds exactly its SNDHWM; messages survive its close (linger -1)", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 1 }));
    push.connect(addr);
    expect(await sendUntilBlocked(push, () => "early")).toBe(1);
    push.close();
    const pull = s(new Pull({ receiveHighWaterMark: 0 }));
    await pull.bind(addr);
    expect((await drain(pull)).map(str)).toEqual([["early"]]);
  }, T);

  it("messages queued before the bind reach the binder even with linger 0 (as libzmq: inproc counts them as sent)", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ linger: 0 }));
    push.connect(addr);
    await push.send("queued");
    push.close();
    const pull = s(new Pull());
    await pull.bind(addr);
    expect((await drain(pull)).map(str)).toEqual([["queued"]]);
  }, T);
});

describe("inproc HWM changed on a live socket (test_sockopt_hwm)", () => {
  const s = useSockets();

  it("change before connected: SNDHWM 2 + RCVHWM 2 hold 4", async () => {
    const addr = uniqueInproc();
    const push = s(new Push());
    const pull = s(new Pull());
    pull.receiveHighWaterMark = 2;
    push.sendHighWaterMark = 2;
    pull.connect(addr);
    await push.bind(addr);
    expect(push.sendHighWaterMark).toBe(2);
    expect(await sendUntilBlocked(push)).toBe(4);
  }, T);

  it("change after connected: SNDHWM raised from 1 to 5 applies to the live pipe (6)", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 1 }));
    const pull = s(new Pull({ receiveHighWaterMark: 1 }));
    pull.connect(addr);
    await push.bind(addr);
    push.sendHighWaterMark = 5;
    expect(push.sendHighWaterMark).toBe(5);
    expect(await sendUntilBlocked(push)).toBe(6);
  }, T);

  it("RCVHWM raised on the live PULL applies too", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 1 }));
    const pull = s(new Pull({ receiveHighWaterMark: 1 }));
    await pull.bind(addr);
    push.connect(addr);
    pull.receiveHighWaterMark = 9;
    expect(await sendUntilBlocked(push)).toBe(10);
  }, T);

  it("raising the HWM wakes a send that was waiting at the old one", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 1 }));
    const pull = s(new Pull({ receiveHighWaterMark: 1 }));
    await pull.bind(addr);
    push.connect(addr);
    await push.send("a");
    await push.send("b");
    const third = push.send("c");
    push.sendHighWaterMark = 2;
    await third;
    expect((await drain(pull)).map(str)).toEqual([["a"], ["b"], ["c"]]);
  }, T);

  it("decrease when full: nothing queued is dropped, then the new HWM holds", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 100 }));
    const pull = s(new Pull({ receiveHighWaterMark: 1 }));
    await push.bind(addr);
    pull.connect(addr);
    expect(await sendUntilBlocked(push, (i) => String(i))).toBe(101);
    push.sendHighWaterMark = 70;
    expect(push.sendHighWaterMark).toBe(70);
    const got = await drain(pull);
    expect(got.map((m) => Number(m[0]!.toString()))).toEqual([...Array(101).keys()]);
    expect(await sendUntilBlocked(push)).toBe(71);
  }, T);
});

describe("inproc HWM on other types", () => {
  const s = useSockets();

  it("PUB at its HWM drops whole messages, never a part of one", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ sendHighWaterMark: 1 }));
    const sub = s(new Subscriber({ receiveHighWaterMark: 1 }));
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe();
    for (let i = 0; i < 10; i++) await pub.send(["topic", String(i), Buffer.alloc(100, i)]);
    const got = await drain(sub);
    expect(got.length).toBe(2);
    expect(got.map((m) => m.length)).toEqual([3, 3]);
    expect(got.map((m) => m[1]!.toString())).toEqual(["0", "1"]);
    expect(got[1]![2]!.equals(Buffer.alloc(100, 1))).toBe(true);
  }, T);

  it("PUB drops for a subscriber at its HWM while other subscribers keep receiving", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ sendHighWaterMark: 1 }));
    const slow = s(new Subscriber({ receiveHighWaterMark: 1 }));
    const fast = s(new Subscriber({ receiveHighWaterMark: 1 }));
    await pub.bind(addr);
    slow.connect(addr);
    fast.connect(addr);
    slow.subscribe();
    fast.subscribe();
    const fastGot: string[] = [];
    for (let i = 0; i < 50; i++) {
      await pub.send(String(i));
      fastGot.push(...(await drain(fast)).map((m) => m[0]!.toString()));
    }
    expect(fastGot).toEqual([...Array(50).keys()].map(String));
    expect((await drain(slow)).map(str)).toEqual([["0"], ["1"]]);
  }, T);

  it("PUB noDrop waits at the HWM: EAGAIN with sendTimeout 0, and a waiting send goes once the SUB reads", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ sendHighWaterMark: 1, noDrop: true }));
    const sub = s(new Subscriber({ receiveHighWaterMark: 1 }));
    await pub.bind(addr);
    sub.connect(addr);
    sub.subscribe();
    expect(await sendUntilBlocked(pub, (i) => String(i))).toBe(2);
    pub.sendTimeout = 10;
    expect(await rejectionCode(pub.send("timed out"))).toBe("EAGAIN");
    pub.sendTimeout = -1;
    const waiting = pub.send("2");
    expect(str(await sub.receive())).toEqual(["0"]);
    await waiting;
    expect((await drain(sub)).map(str)).toEqual([["1"], ["2"]]);
  }, T);

  it("XPUB noDrop waits only for matching subscribers at their HWM", async () => {
    const addr = uniqueInproc();
    const xpub = s(new XPublisher({ sendHighWaterMark: 1, noDrop: true }));
    const subA = s(new Subscriber({ receiveHighWaterMark: 1 }));
    const subB = s(new Subscriber({ receiveHighWaterMark: 1 }));
    await xpub.bind(addr);
    subA.connect(addr);
    subB.connect(addr);
    subA.subscribe("a");
    subB.subscribe("b");
    expect(await sendUntilBlocked(xpub, () => "a")).toBe(2);
    // B is not full: its messages still go
    xpub.sendTimeout = 0;
    await xpub.send("b1");
    expect((await drain(subB)).map(str)).toEqual([["b1"]]);
  }, T);

  it("noDrop: a send waiting for a full subscriber goes once that subscriber leaves", async () => {
    const addr = uniqueInproc();
    const pub = s(new Publisher({ sendHighWaterMark: 1, noDrop: true }));
    const full = s(new Subscriber({ receiveHighWaterMark: 1 }));
    const other = s(new Subscriber());
    await pub.bind(addr);
    full.connect(addr);
    other.connect(addr);
    full.subscribe();
    other.subscribe();
    await pub.send("1");
    await pub.send("2");
    const waiting = pub.send("3");
    full.close();
    await waiting;
    expect((await drain(other)).map(str)).toEqual([["1"], ["2"], ["3"]]);
  }, T);

  it("ROUTER drops for a full peer, and with mandatory reports EAGAIN instead", async () => {
    const addr = uniqueInproc();
    const router = s(new Router({ sendHighWaterMark: 1 }));
    const dealer = s(new Dealer({ receiveHighWaterMark: 1, routingId: "D" }));
    await router.bind(addr);
    dealer.connect(addr);
    for (let i = 0; i < 5; i++) await router.send(["D", String(i)]);
    expect((await drain(dealer)).map(str)).toEqual([["0"], ["1"]]);
    router.mandatory = true;
    expect(await sendUntilBlocked(router, (i) => ["D", String(i)])).toBe(2);
  }, T);

  it("PAIR and DEALER hold SNDHWM + RCVHWM each way", async () => {
    const a = s(new Pair({ sendHighWaterMark: 3, receiveHighWaterMark: 5 }));
    const b = s(new Pair({ sendHighWaterMark: 7, receiveHighWaterMark: 11 }));
    const addr = uniqueInproc();
    await a.bind(addr);
    b.connect(addr);
    expect(await sendUntilBlocked(a)).toBe(3 + 11);
    expect(await sendUntilBlocked(b)).toBe(7 + 5);
    const d = s(new Dealer({ sendHighWaterMark: 2 }));
    const r = s(new Router({ receiveHighWaterMark: 3 }));
    const addr2 = uniqueInproc();
    await r.bind(addr2);
    d.connect(addr2);
    expect(await sendUntilBlocked(d)).toBe(5);
  }, T);
});
