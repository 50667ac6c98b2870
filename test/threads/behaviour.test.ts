// Cross-thread inproc semantics: order and big frames, HWMs counted exactly
// as within a thread, PUB/SUB filtering per worker, crashes of a peer thread,
// names freed with their thread, custom contexts shared with share().
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { DIST, actor, omq, stopAll, uniqueName } from "./actors.js";

const T = 40_000;
afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("messages across threads", () => {
  it("10 000 messages in order and 1 MiB multipart frames, both ways", async () => {
    const addr = uniqueName("order");
    const pair = new omq.Pair();
    await pair.bind(addr);
    const w = actor(`const s = new omq.Pair(); s.connect(data.addr);
      for (let i = 0; i < 10000; i++) await s.send(["n", String(i)]);
      const big = Buffer.alloc(1 << 20); for (let i = 0; i < big.length; i++) big[i] = i % 251;
      await s.send([big, "tail", big]);
      // echo back what comes the other way
      for (let i = 0; i < 10000; i++) { const m = await s.receive(); if (m[1].toString() !== String(i)) throw new Error("out of order " + i); }
      const [a, t] = await s.receive(); post([a.length, a[12345], t.toString()]);
      await next(); s.close();`, { addr });
    for (let i = 0; i < 10000; i++) {
      const [tag, n] = await pair.receive();
      expect(tag!.toString()).toBe("n");
      if (n!.toString() !== String(i)) expect(n!.toString()).toBe(String(i));
    }
    const [big, tail, big2] = await pair.receive();
    expect(big!.length).toBe(1 << 20);
    expect(big![1000003]).toBe(1000003 % 251);
    expect(tail!.toString()).toBe("tail");
    expect(big2!.equals(big!)).toBe(true);
    for (let i = 0; i < 10000; i++) await pair.send(["m", String(i)]);
    await pair.send([Buffer.alloc(1 << 20, 9), "end"]);
    expect(await w.next()).toEqual([1 << 20, 9, "end"]);
    w.send("close");
    expect(await w.exited).toBe(0);
    pair.close();
  }, T);

  it("a worker's PUSH streams 500 000 small messages to a main-thread PULL: all arrive, in order (writer and reader race on credit, space and data)", async () => {
    const addr = uniqueName("stream");
    const pull = new omq.Pull();
    await pull.bind(addr);
    const total = 500_000;
    const w = actor(`const s = new omq.Push(); s.connect(data.addr); let b;
      for (let i = 0; i < data.total; i++) { b = Buffer.allocUnsafe(16); b.writeUInt32LE(i, 0); await s.send(b); }
      await next(); s.close();`, { addr, total });
    try {
      let bad = -1;
      for (let i = 0; i < total; i++) {
        const [m] = await pull.receive();
        if (bad < 0 && m!.readUInt32LE(0) !== i) bad = i;
      }
      expect(bad).toBe(-1);
    } finally {
      w.send("close");
      await w.exited;
      pull.close();
    }
  }, T);

  // Both ways of waking a sleeping end: the peer's ring (busyPoll 0), the turns
  // of a busy-polling loop (probes), and a fixed window that keeps running out
  // mid-wait (each spin's end asks for the ring again).
  for (const busyPoll of [0, 20, -1]) {
    it(`REQ ↔ REP round trips of 16 B to 200 KiB with busyPoll ${busyPoll} on both sides, and a REP that answers late`, async () => {
      const addr = uniqueName("wake");
      const w = actor(`const s = new omq.Reply({ busyPoll: data.busyPoll }); await s.bind(data.addr); post("bound");
        let n = 0; for await (const [m] of s) { if (++n % 50 === 0) await new Promise((r) => setTimeout(r, 3)); await s.send(m); }`, { addr, busyPoll });
      expect(await w.next()).toBe("bound");
      const req = new omq.Request({ busyPoll, receiveTimeout: 10_000 });
      req.connect(addr);
      try {
        for (let i = 0; i < 400; i++) {
          const size = [16, 4096, 65536, 200_000][i % 4]!;
          const msg = Buffer.alloc(size, i & 0xff);
          await req.send(msg);
          const [reply] = await req.receive();
          if (!reply!.equals(msg)) expect({ i, size, got: reply!.length, equal: false }).toEqual({ i, size, got: size, equal: true });
        }
      } finally {
        req.close();
        await w.worker.terminate();
      }
    }, T);
  }

  it("a PUSH to a worker's PULL that does not read holds exactly SNDHWM + RCVHWM, then resumes and loses nothing", async () => {
    const addr = uniqueName("hwm");
    const w = actor(`const s = new omq.Pull({ receiveHighWaterMark: 4 }); await s.bind(data.addr); post("bound");
      await next(); const got = []; for (let i = 0; i < data.total; i++) got.push(Number((await s.receive())[0].toString()));
      post(got); s.close();`, { addr, total: 27 });
    expect(await w.next()).toBe("bound");
    const push = new omq.Push({ sendHighWaterMark: 3, sendTimeout: 0 });
    push.connect(addr);
    let sent = 0;
    for (;;) {
      try {
        await push.send(String(sent));
        sent++;
      } catch (e) {
        expect((e as { code: string }).code).toBe("EAGAIN");
        // a moment for anything in flight, then the count must not move
        await sleep(100);
        try { await push.send(String(sent)); sent++; continue; } catch { break; }
      }
      if (sent > 1000) break;
    }
    expect(sent).toBe(7);
    w.send("read");
    push.sendTimeout = 5000;
    for (let i = sent; i < 27; i++) await push.send(String(i));
    const got = await w.next();
    expect(got).toEqual(Array.from({ length: 27 }, (_, i) => i));
    await w.exited;
    push.close();
  }, T);

  it("PUB in the main thread, SUBs in two workers: each gets only its topics; unsubscribe works", async () => {
    const addr = uniqueName("pub");
    // every subscription reported (a second "both" too), so the test knows when all four are in
    const pub = new omq.XPublisher({ verbosity: "allSubs" });
    await pub.bind(addr);
    const sub = (topic: string) => actor(`const s = new omq.Subscriber(); s.connect(data.addr); s.subscribe(data.topic); s.subscribe("both");
      const got = []; for (;;) { const [t, v] = await s.receive(); got.push(t.toString() + ":" + v.toString());
        if (v.toString() === "unsub") { s.unsubscribe(data.topic); post("unsubscribed"); }
        if (v.toString() === "end") break; }
      post(got); s.close();`, { addr, topic });
    const a = sub("a");
    const b = sub("b");
    // four subscriptions reach the XPUB
    const subs: string[] = [];
    while (subs.length < 4) subs.push((await pub.receive())[0]!.toString("hex"));
    expect(subs.sort()).toEqual(["0161", "0162", "01626f7468", "01626f7468"]);
    for (const t of ["a", "b", "c", "both"]) await pub.send([t, "1"]);
    await pub.send(["both", "unsub"]);
    expect(await a.next()).toBe("unsubscribed");
    expect(await b.next()).toBe("unsubscribed");
    // both unsubscribe messages arrive before anything sent after them is filtered
    const seen: string[] = [];
    while (seen.length < 2) seen.push((await pub.receive())[0]!.toString("hex"));
    for (const t of ["a", "b"]) await pub.send([t, "2"]);
    await pub.send(["both", "end"]);
    expect(await a.next()).toEqual(["a:1", "both:1", "both:unsub", "both:end"]);
    expect(await b.next()).toEqual(["b:1", "both:1", "both:unsub", "both:end"]);
    expect(seen.sort()).toEqual(["0061", "0062"]);
    pub.close();
  }, T);
});

describe("limits across threads", () => {
  it("a frame the ring cannot describe (2 GiB − 7 or more) is refused with EMSGSIZE before anything is queued; the pipe serves on", async () => {
    const addr = uniqueName("big");
    const w = actor(`const s = new omq.Pull(); await s.bind(data.addr); post("bound");
      const [m] = await s.receive(); post(m.toString()); s.close();`, { addr });
    expect(await w.next()).toBe("bound");
    const push = new omq.Push();
    push.connect(addr);
    // Buffers claiming 2^31 bytes and 2^31 − 7 (the largest whose padding to 8
    // overflows 31 bits); allocating one would not fit this machine: the check reads the length only
    for (const length of [2 ** 31, 2 ** 31 - 7]) {
      const huge = Buffer.alloc(16);
      Object.defineProperty(huge, "length", { value: length });
      const err = await push.send(huge).catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe("EMSGSIZE");
    }
    await push.send("after");
    expect(await w.next()).toBe("after");
    expect(await w.exited).toBe(0);
    push.close();
  }, T);
});

describe("a peer thread that ends", () => {
  for (const how of ["terminate", "exit", "throw", "process.exit"] as const) {
    it(`${how}: the ROUTER drops its id, the PUSH sends to the survivor only, nothing hangs`, async () => {
      const rAddr = uniqueName("crash-r");
      const pAddr = uniqueName("crash-p");
      // (with no peer at all a mandatory ROUTER waits up to sendTimeout, as zeromq.js)
      const router = new omq.Router({ mandatory: true, sendTimeout: 100 });
      await router.bind(rAddr);
      const push = new omq.Push({ sendHighWaterMark: 5 });
      await push.bind(pAddr);
      const end = how === "exit" ? "return;" : how === "throw" ? `throw new Error("boom");` : how === "process.exit" ? "process.exit(3);" : "await new Promise(() => { setInterval(() => {}, 1000); });";
      const victim = actor(`const d = new omq.Dealer({ routingId: "victim" }); d.connect(data.rAddr);
        const p = new omq.Pull({ receiveHighWaterMark: 5 }); p.connect(data.pAddr);
        await d.send("hello"); await p.receive(); post("ready"); await next(); ${end}`, { rAddr, pAddr });
      const survivor = actor(`const p = new omq.Pull(); p.connect(data.pAddr); post("ready");
        let n = 0; for (;;) { const [m] = await p.receive(); if (m.toString() === "end") break; if (/^[0-9]+$/.test(m.toString())) n++; } post(n); p.close();`, { pAddr });
      const [id] = await router.receive();
      expect(id!.toString()).toBe("victim");
      expect(await survivor.next()).toBe("ready");
      // round-robin: warm-up messages until the victim has had one (its pipe may attach later)
      let ready = false;
      const victimReady = victim.next().then((v) => (ready = v === "ready"));
      for (let i = 0; i < 400 && !ready; i++) {
        await push.send("warm");
        await sleep(5);
      }
      await victimReady;
      expect(ready).toBe(true);
      if (how === "terminate") await victim.worker.terminate();
      else victim.send("go");
      const code = await victim.exited;
      if (how === "throw") expect(code).toBe("error: boom");
      else if (how === "process.exit") expect(code).toBe(3);
      // the ROUTER forgets the id once the pipe ends
      let unreachable = false;
      for (let i = 0; i < 200 && !unreachable; i++) {
        try { await router.send(["victim", "x"]); await sleep(10); } catch (e) { unreachable = (e as { code: string }).code === "EHOSTUNREACH"; }
      }
      expect(unreachable).toBe(true);
      // every later message goes to the survivor (the victim's pipe is gone, not blocking)
      for (let i = 0; i < 50; i++) await push.send(String(i));
      await push.send("end");
      expect(await survivor.next()).toBe(50);
      router.close();
      push.close();
    }, T);
  }

  it("names a terminated worker had bound are free again; a connect to them waits for the next binder", async () => {
    const addr = uniqueName("freed");
    const w = actor(`const s = new omq.Pull(); await s.bind(data.addr); post("bound"); await new Promise(() => setInterval(() => {}, 1000));`, { addr });
    expect(await w.next()).toBe("bound");
    const taken = new omq.Pull();
    await expect(taken.bind(addr)).rejects.toMatchObject({ code: "EADDRINUSE" });
    taken.close();
    await w.worker.terminate();
    // a connect made before anyone noticed the holder is gone: once that shows
    // (the set-up message cannot be delivered), it waits for the next binder
    const early = new omq.Push();
    early.connect(addr);
    await sleep(300);
    await early.send("queued for the next binder");
    const pull = new omq.Pull();
    await pull.bind(addr);
    expect((await pull.receive())[0]!.toString()).toBe("queued for the next binder");
    const late = new omq.Push();
    late.connect(addr);
    await late.send("after");
    expect((await pull.receive())[0]!.toString()).toBe("after");
    early.close();
    late.close();
    pull.close();
  }, T);
});

describe("custom contexts shared with share()", () => {
  it("main and two workers meet on a shared custom context; the default context does not see its names", async () => {
    const ctx = new omq.Context();
    const handle = ctx.share();
    const addr = uniqueName("ctx");
    const rep = new omq.Reply({ context: ctx });
    await rep.bind(addr);
    const client = (tag: string) => actor(`const ctx = new omq.Context(data.handle); const r = new omq.Request({ context: ctx }); r.connect(data.addr);
      await r.send(data.tag); const [m] = await r.receive();
      post([m.toString()]); r.close();`, { addr, handle, tag });
    const a = client("a");
    const b = client("b");
    for (let i = 0; i < 2; i++) {
      const [m] = await rep.receive();
      await rep.send("re:" + m!.toString());
    }
    const got = [await a.next(), await b.next()];
    expect(got).toEqual([["re:a"], ["re:b"]]);
    // the name is the custom context's only: the default context can bind it too
    const other = new omq.Pull();
    await other.bind(addr);
    other.close();
    rep.close();
  }, T);
});

describe("a main thread that ends", () => {
  /** Run a module in a child process; its exit code, or "killed" after 10 s. */
  function child(body: string): Promise<number | string | null> {
    return new Promise((resolve, reject) => {
      const src = `import { Worker } from "node:worker_threads"; import * as omq from ${JSON.stringify(DIST)};\n${body}`;
      const c = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "ignore", "inherit"] });
      const killer = setTimeout(() => c.kill("SIGKILL"), 10_000);
      c.on("error", reject);
      c.on("exit", (code, signal) => {
        clearTimeout(killer);
        resolve(signal === "SIGKILL" ? "killed" : code);
      });
    });
  }
  const WORKER = `new Worker(\`(async () => { const omq = await import(${JSON.stringify(DIST)});
    const p = new omq.Push(); p.connect("inproc://lifetime"); for (;;) await p.send("x"); })()\`, { eval: true })`;

  for (const how of ["returns (worker unref'd)", "calls process.exit()"]) {
    it(`${how} with pipes open to a worker that keeps sending: the process ends`, async () => {
      const end = how.startsWith("returns") ? "w.unref();" : "process.exit(0);";
      const code = await child(`const pull = new omq.Pull(); await pull.bind("inproc://lifetime");
        const w = ${WORKER};
        await pull.receive(); ${end}`);
      expect(code).toBe(0);
    }, T);
  }
});
