// RFC 30 (PIPELINE): PUSH and PULL. Each case quotes the RFC sentence it checks.
import { describe, expect, it } from "vitest";
import { Pull, Push } from "../../index.js";
import {
  T, collect, drain, rejectionCode, sendUntilBlocked, str, transports, uniqueInproc, useSockets,
} from "../helpers.js";

for (const t of transports) {
  describe(`PUSH/PULL over ${t.name}`, () => {
    const s = useSockets();

    it("PUSH SHALL route outgoing messages to available peers using a round-robin strategy", async () => {
      //  PUSH --> PULL x3: 30 messages arrive 10/10/10, each PULL every third one
      const push = s(new Push());
      const addr = await t.bind(push);
      const pulls = [0, 1, 2].map(() => s(new Pull()));
      for (const p of pulls) p.connect(addr);
      await t.connected(push, 3);
      for (let i = 0; i < 30; i++) await push.send(String(i));
      const got = await Promise.all(pulls.map((p) => collect(p, 10)));
      const nums = got.map((msgs) => msgs.map((m) => Number(m[0]!.toString())));
      for (const n of nums) {
        expect(n.length).toBe(10);
        // consecutive messages of one PULL are exactly 3 apart: strict rotation
        for (let i = 1; i < n.length; i++) expect(n[i]! - n[i - 1]!).toBe(3);
      }
      expect(nums.map((n) => n[0]).sort()).toEqual([0, 1, 2]);
      expect(await drain(pulls[0]!, t.quietMs)).toEqual([]);
    }, T);

    it("PUSH SHALL block on sending, or return a suitable error, when it has no available peers", async () => {
      const push = s(new Push({ sendTimeout: 0 }));
      await t.bind(push);
      expect(await rejectionCode(push.send("x"))).toBe("EAGAIN");
      push.sendTimeout = 20;
      expect(await rejectionCode(push.send("x"))).toBe("EAGAIN");
    }, T);

    it("PUSH SHALL NOT discard messages that it cannot queue: a waiting send goes to the first peer", async () => {
      const push = s(new Push());
      const addr = await t.bind(push);
      const sent = push.send(["late", "multi"]);
      const pull = s(new Pull());
      pull.connect(addr);
      await sent;
      expect(str(await pull.receive())).toEqual(["late", "multi"]);
    }, T);

    it("PULL SHALL receive incoming messages from its peers using a fair-queuing strategy (each peer's order kept)", async () => {
      const pull = s(new Pull());
      const addr = await t.bind(pull);
      const pushes = ["A", "B", "C"].map(() => s(new Push()));
      pushes.forEach((p) => p.connect(addr));
      await t.connected(pull, 3);
      await Promise.all(pushes.map(async (p, k) => {
        for (let i = 0; i < 5; i++) await p.send(["ABC"[k]!, String(i)]);
      }));
      const got = (await collect(pull, 15)).map(str);
      for (const who of ["A", "B", "C"]) {
        expect(got.filter((m) => m[0] === who).map((m) => m[1])).toEqual(["0", "1", "2", "3", "4"]);
      }
    }, T);

    it("messages are atomic: every part of a multipart message arrives, empty parts included", async () => {
      const pull = s(new Pull());
      const addr = await t.bind(pull);
      const push = s(new Push());
      push.connect(addr);
      const big = Buffer.alloc(100_000, 7);
      await push.send(["", null, big, new Uint8Array([1, 2]), 42, ""]);
      const m = await pull.receive();
      expect(m.length).toBe(6);
      expect(m[0]!.length + m[1]!.length + m[5]!.length).toBe(0);
      expect(m[2]!.equals(big)).toBe(true);
      expect([...m[3]!]).toEqual([1, 2]);
      expect(m[4]!.toString()).toBe("42");
    }, T);

    it("PUSH SHALL destroy its double queue when a peer disconnects and discard its messages", async () => {
      const push = s(new Push());
      const addr = await t.bind(push);
      const gone = s(new Pull());
      const stays = s(new Pull());
      gone.connect(addr);
      stays.connect(addr);
      await t.connected(push, 2);
      for (let i = 0; i < 4; i++) await push.send(String(i));
      gone.close();
      await t.disconnected(push, 1);
      for (let i = 4; i < 8; i++) await push.send(String(i));
      const got = (await collect(stays, 6)).map((m) => m[0]!.toString());
      // the 2 queued for the closed peer are lost; everything later goes to the survivor
      expect(got.slice(2)).toEqual(["4", "5", "6", "7"]);
      expect(await drain(stays, t.quietMs)).toEqual([]);
    }, T);

    it("ENOTSUP: send() on PULL and receive() on PUSH reject at once", async () => {
      const pull = s(new Pull()) as unknown as { send(m: string): Promise<void> };
      const push = s(new Push()) as unknown as { receive(): Promise<Buffer[]> };
      expect(await rejectionCode(pull.send("x"))).toBe("ENOTSUP");
      expect(await rejectionCode(push.receive())).toBe("ENOTSUP");
    }, T);

    it("several pending send() calls are served in call order", async () => {
      const push = s(new Push());
      const addr = await t.bind(push);
      const order: number[] = [];
      const sends = [0, 1, 2, 3, 4].map((i) => push.send(String(i)).then(() => void order.push(i)));
      const pull = s(new Pull());
      pull.connect(addr);
      await Promise.all(sends);
      expect(order).toEqual([0, 1, 2, 3, 4]);
      expect((await collect(pull, 5)).map((m) => m[0]!.toString())).toEqual(["0", "1", "2", "3", "4"]);
    }, T);

    it("several pending receive() calls are served in call order", async () => {
      const pull = s(new Pull());
      const addr = await t.bind(pull);
      const receives = [pull.receive(), pull.receive(), pull.receive()];
      const push = s(new Push());
      push.connect(addr);
      for (const m of ["a", "b", "c"]) await push.send(m);
      expect((await Promise.all(receives)).map(str)).toEqual([["a"], ["b"], ["c"]]);
    }, T);

    it("sendTimeout 0 rejects at once even behind other waiting sends, which keep waiting", async () => {
      const push = s(new Push());
      const addr = await t.bind(push);
      const first = push.send("first");
      push.sendTimeout = 0;
      expect(await rejectionCode(push.send("second"))).toBe("EAGAIN");
      const pull = s(new Pull());
      pull.connect(addr);
      await first;
      expect(str(await pull.receive())).toEqual(["first"]);
      expect(await drain(pull, t.quietMs)).toEqual([]);
    }, T);

    it("receiveTimeout bounds a receive (EAGAIN), and a later receive still works", async () => {
      const pull = s(new Pull({ receiveTimeout: 20 }));
      const addr = await t.bind(pull);
      expect(await rejectionCode(pull.receive())).toBe("EAGAIN");
      const push = s(new Push());
      push.connect(addr);
      await push.send("after");
      pull.receiveTimeout = 2000;
      expect(str(await pull.receive())).toEqual(["after"]);
    }, T);
  });
}

describe("PUSH/PULL, inproc-only facts", () => {
  const s = useSockets();

  // exact HWM counts: over a network socket buffers add capacity
  it("PUSH SHALL consider a peer as available only when its outgoing queue is not full", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ sendHighWaterMark: 1 }));
    const a = s(new Pull({ receiveHighWaterMark: 1 }));
    const b = s(new Pull({ receiveHighWaterMark: 1 }));
    await push.bind(addr);
    a.connect(addr);
    b.connect(addr);
    expect(await sendUntilBlocked(push, (i) => String(i))).toBe(4);
    const waiting = push.send("4");
    // b frees room (down to its low-water mark): only b is available now
    expect(str(await b.receive())).toEqual(["1"]);
    await waiting;
    expect((await drain(a)).map(str)).toEqual([["0"], ["2"]]);
    expect((await drain(b)).map(str)).toEqual([["3"], ["4"]]);
  }, T);

  // exact interleaving needs every peer's messages queued before the first
  // read; over a network the arrival order is the kernel's
  it("PULL fair-queues exactly: one message from each peer in turn", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    await pull.bind(addr);
    const pushes = ["A", "B", "C"].map(() => s(new Push()));
    pushes.forEach((p) => p.connect(addr));
    for (let k = 0; k < 3; k++) for (let i = 0; i < 3; i++) await pushes[k]!.send("ABC"[k]! + i);
    const got = (await drain(pull)).map((m) => m[0]!.toString());
    expect(got).toEqual(["A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2"]);
  }, T);

  // connect before bind needs an address known before the bind (an inproc
  // name; tcp port * is only known after it)
  it("connect before bind: messages queue and arrive once the PULL binds", async () => {
    const addr = uniqueInproc();
    const push = s(new Push());
    push.connect(addr);
    await push.send("early");
    const pull = s(new Pull());
    await pull.bind(addr);
    await push.send("late");
    expect((await collect(pull, 2)).map(str)).toEqual([["early"], ["late"]]);
  }, T);

  // conflate keeps the newest message queued when the application reads (or,
  // on PUSH, at an HWM of 1); over a network that depends on arrival times
  it("conflate on PULL keeps only the newest message", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull({ conflate: true }));
    await pull.bind(addr);
    const push = s(new Push());
    push.connect(addr);
    for (let i = 0; i < 5; i++) await push.send(String(i));
    expect((await drain(pull)).map(str)).toEqual([["4"]]);
  }, T);

  it("conflate on PUSH keeps only the newest message, and never waits", async () => {
    const addr = uniqueInproc();
    const push = s(new Push({ conflate: true, sendHighWaterMark: 1 }));
    const pull = s(new Pull({ receiveHighWaterMark: 1 }));
    await pull.bind(addr);
    push.connect(addr);
    expect(await sendUntilBlocked(push, (i) => String(i), 50)).toBe(50);
    expect((await drain(pull)).map(str)).toEqual([["49"]]);
  }, T);

  // a network copies
  it("zero copy above 128 bytes: the receiver gets the very Buffer that was sent; a small one is a copy", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    await pull.bind(addr);
    const push = s(new Push());
    push.connect(addr);
    const large = Buffer.alloc(129, "same memory");
    await push.send(large);
    expect((await pull.receive())[0]).toBe(large);
    const small = Buffer.from("copied");
    await push.send(small);
    const [got] = await pull.receive();
    expect(got).not.toBe(small);
    expect(got!.toString()).toBe("copied");
  }, T);
});
