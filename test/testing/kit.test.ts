// The kit itself: determinism (same plan, same trace, in this process and
// in another), the guard that catches Math.random, replay lines, shrinking
// toward no faults, sometimes(), and the arbitraries for ZeroMQ data.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dealer, Pull, Push, Router, Publisher, Subscriber } from "omq";
import { system } from "./fixtures/system.mjs";
import { CheckError, PropertyFailure, type Plan, type Simulation, Trace, arb, check, checkDeterminism, describePlan, faults, parseReplay, plan, property, runCase } from "omq/testing";

const fixedPlan: Plan = { seed: 42, jitter: [3, 0, 7], faults: [{ at: 5, kind: "kill", node: "hub", restartAfter: 700 }, { at: 900, kind: "cut", a: "a", b: "*", afterBytes: 10 }] };

describe("omq/testing: the kit", () => {
  it("the same plan gives the same trace hash, run after run", async () => {
    const h = await checkDeterminism(system, fixedPlan, undefined);
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(await runCase(system, fixedPlan, undefined)).toBe(h);
    expect(await runCase(system, { ...fixedPlan, seed: 43 }, undefined)).not.toBe(h);
  });

  it("and across processes", async () => {
    const here = await runCase(system, fixedPlan, undefined);
    const script = fileURLToPath(new URL("./fixtures/determinism-child.mjs", import.meta.url));
    const r = spawnSync(process.execPath, [script, JSON.stringify(fixedPlan)], { encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(here);
  }, 60_000);

  it("the determinism guard catches Math.random in the code under test", async () => {
    const sloppy = async (sim: Simulation) => {
      const n = sim.node("x");
      const pub = n.socket(Publisher);
      await pub.bind("sim://x:1");
      const s = sim.node("y").socket(Subscriber);
      s.connect("sim://x:1");
      s.subscribe();
      await sim.sleep(10);
      await pub.send(`id-${Math.random()}`);
      await s.receive();
    };
    await expect(checkDeterminism(sloppy, { seed: 1, jitter: [], faults: [] }, undefined)).rejects.toThrow(/non-determinism detected/);
    await expect(property(sloppy, { numRuns: 3, determinism: true })).rejects.toThrow(/non-determinism detected/);
  });

  it("a failure shrinks toward no faults, keeping only the one that matters, and its line replays it", async () => {
    // fails only when the hub is killed while a's requests are going on
    const body = async (sim: Simulation) => {
      await system(sim);
      const got = sim.trace.notes("got")[0]!.data as string[];
      if (got.includes("timeout")) throw new Error(`a request timed out: ${got.join(",")}`);
    };
    const p = plan({ faults: [faults.kill("hub", { restartAfter: [0, 5000] }), faults.pause("a", { ms: [1, 50] }), faults.partition("b", "hub", { ms: [1, 100] })], maxFaults: 4, horizon: 3000, jitter: 5 });
    const err = (await property(body, { plan: p, numRuns: 300, seed: 7 }).catch((e: unknown) => e)) as PropertyFailure;
    expect(err).toBeInstanceOf(PropertyFailure);
    const shrunk = err.plan!;
    expect(shrunk.faults).toHaveLength(1);
    expect(shrunk.faults[0]!.kind).toBe("kill");
    expect(shrunk.jitter.every((j) => j === 0)).toBe(true);
    expect(shrunk.seed).toBe(0);
    expect(err.message).toContain(describePlan(shrunk));
    const line = err.message.split("\n").find((l) => l.includes("omq/testing replay: "))!;
    expect(parseReplay(line).plan).toEqual(shrunk);
    const again = (await property(body, { plan: p, replay: line }).catch((e: unknown) => e)) as PropertyFailure;
    expect(again.plan).toEqual(shrunk);
  }, 60_000);

  it("sometimes(): a state no run reaches fails the property", async () => {
    const body = (sim: Simulation) => sim.sometimes("never", sim.now < 0);
    await expect(property(body, { numRuns: 5 })).rejects.toThrow(/sometimes\("never"\) never held in 5 run/);
    const r = await property((sim) => sim.sometimes("at zero", sim.now === 0), { numRuns: 5 });
    expect(r.coverage.get("at zero")).toBe(5);
  });

  it("routing ids: 1–255 bytes, never a leading 0x00, and a ROUTER routes by every one", async () => {
    fc.assert(
      fc.property(arb.routingId(), (id) => {
        expect(id.length).toBeGreaterThanOrEqual(1);
        expect(id.length).toBeLessThanOrEqual(255);
        expect(id[0]).not.toBe(0);
      }),
      { numRuns: 500 },
    );
    await property(
      async (sim, ids: Buffer[]) => {
        const hub = sim.node("hub");
        const r = hub.socket(Router);
        await r.bind("sim://hub:1");
        const ds = ids.map((id, i) => {
          const d = sim.node(`d${i}`).socket(Dealer, { routingId: id });
          d.connect("sim://hub:1");
          return d;
        });
        for (const d of ds) await d.send("hi");
        const seen = new Set<string>();
        for (let i = 0; i < ds.length; i++) {
          const [id] = await r.receive();
          seen.add(id!.toString("hex"));
          await r.send([id!, id!]);
        }
        expect(seen).toEqual(new Set(ids.map((x) => x.toString("hex"))));
        for (let i = 0; i < ds.length; i++) expect((await ds[i]!.receive())[0]).toEqual(ids[i]);
      },
      { input: fc.uniqueArray(arb.routingId(), { minLength: 1, maxLength: 4, selector: (b) => b.toString("hex") }), numRuns: 30 },
    );
  }, 60_000);

  it("frames and multipart messages cross the simulated wire intact and in order", async () => {
    await property(
      async (sim, msgs: Buffer[][]) => {
        const b = sim.node("b").socket(Router);
        await b.bind("sim://b:1");
        const a = sim.node("a").socket(Dealer);
        a.connect("sim://b:1");
        for (const m of msgs) await a.send(m);
        for (const m of msgs) expect((await b.receive()).slice(1)).toEqual(m);
      },
      { input: fc.array(arb.message({ maxFrames: 5, maxLength: 600 }), { minLength: 1, maxLength: 8 }), plan: plan({ jitter: 20 }), numRuns: 40 },
    );
  }, 60_000);

  it("topic sets: a SUB gets exactly the messages a subscribed prefix matches", async () => {
    await property(
      async (sim, [subs, sent]: [string[], string[]]) => {
        const pub = sim.node("p").socket(Publisher);
        await pub.bind("sim://p:1");
        const sub = sim.node("s").socket(Subscriber);
        sub.connect("sim://p:1");
        for (const t of subs) sub.subscribe(t);
        await sim.sleep(20); // the subscriptions reach the PUB (a slow joiner otherwise)
        for (const t of sent) await pub.send([t, "x"]);
        await pub.send(["", "end"]);
        const want = sent.filter((t) => subs.some((s) => t.startsWith(s)));
        const got: string[] = [];
        if (subs.includes("")) want.push("");
        for (let i = 0; i < want.length; i++) got.push(String((await sub.receive())[0]));
        expect(got).toEqual(want);
      },
      { input: fc.tuple(arb.topics(), fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 4 }), { maxLength: 12 })), numRuns: 60 },
    );
    // the arbitrary makes prefixes of each other often enough to matter
    const samples = fc.sample(arb.topics({ maxTopics: 5 }), 300);
    expect(samples.some((ts) => ts.some((t) => ts.some((u) => u !== t && u.startsWith(t))))).toBe(true);
  }, 60_000);

  it("check.atMostOnce and check.fifo judge real runs, and fail on what breaks them", async () => {
    const sim = (await import("omq/testing")).simulation();
    await sim.run(async () => {
      const pull = sim.node("b").socket(Pull);
      await pull.bind("sim://b:1");
      const push = sim.node("a").socket(Push);
      push.connect("sim://b:1");
      for (let i = 0; i < 10; i++) await push.send(`m${i}`);
      for (let i = 0; i < 10; i++) await pull.receive();
      await push.send("m3"); // a retry: the same request twice
      await pull.receive();
    });
    check.fifo(sim.trace, { from: "a", to: "b" });
    expect(() => check.atMostOnce(sim.trace, "b")).toThrow(CheckError);
    expect(() => check.atMostOnce(sim.trace, "b")).toThrow(/received "m3" twice/);
    await sim.close();
    const t = new Trace();
    t.add({ t: 0, kind: "send", node: "a", socket: "s", key: "x" });
    t.add({ t: 1, kind: "send", node: "a", socket: "s", key: "y" });
    t.add({ t: 2, kind: "recv", node: "b", socket: "r", key: "y" });
    t.add({ t: 3, kind: "recv", node: "b", socket: "r", key: "x" });
    expect(() => check.fifo(t, { from: "a", to: "b" })).toThrow(/received "x" after "y"/);
    check.atMostOnce(t, "b");
  });

  it("a corrupted byte (opt-in) ends that one connection with a protocol error; the socket serves on", async () => {
    const sim = (await import("omq/testing")).simulation();
    const errors: string[] = [];
    await sim.run(async () => {
      const r = sim.node("hub").socket(Router);
      r.events.on("handshake:error:protocol", () => errors.push("protocol"));
      r.events.on("disconnect", () => errors.push("disconnect"));
      await r.bind("sim://hub:1");
      const a = sim.node("a").socket(Dealer, { reconnectInterval: 100 });
      const b = sim.node("b").socket(Dealer);
      a.connect("sim://hub:1");
      b.connect("sim://hub:1");
      await a.send("a1");
      await b.send("b1");
      await r.receive();
      await r.receive();
      sim.corrupt("a", "hub", 0); // the flags byte of a's next frame: 0xff, a long command
      await a.send("a2");
      await sim.sleep(10);
      await b.send("b2");
      const [, m] = await r.receive();
      expect(String(m)).toBe("b2");
      await sim.sleep(500);
      await a.send("a3");
      expect(String((await r.receive())[1])).toBe("a3");
    });
    expect(errors).toContain("disconnect");
    expect(sim.trace.of("connect").filter((c) => c.a === "a")).toHaveLength(2);
    await sim.close();
  });
});
