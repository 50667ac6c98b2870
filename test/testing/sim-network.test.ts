// omq/testing's simulated wire and virtual time: the real sockets over
// sim://, with the faults behaving as ZeroMQ over tcp does.
import { describe, expect, it } from "vitest";
import { Publisher, Pull, Push, Reply, Request, Router, Dealer, Subscriber } from "omq";
import { simulation, SimulationError } from "omq/testing";

describe("sim:// under the real engine", () => {
  it("REQ/REP with heartbeats through a simulated hour, time moving only by events", async () => {
    const sim = simulation();
    const realSetTimeout = globalThis.setTimeout;
    sim.node("server", async (n) => {
      const rep = n.socket(Reply, { heartbeatInterval: 1000 });
      await rep.bind("sim://server:5555");
      for await (const [m] of rep) await rep.send(`re:${m}`);
    });
    const client = sim.node("client");
    const got = await sim.run(async () => {
      const req = client.socket(Request, { heartbeatInterval: 1000 });
      req.connect("sim://server:5555");
      const out: string[] = [];
      await req.send("a");
      out.push(String((await req.receive())[0]));
      await sim.sleep(3600_000);
      await req.send("b");
      out.push(String((await req.receive())[0]));
      return out;
    });
    expect(got).toEqual(["re:a", "re:b"]);
    expect(sim.now).toBeGreaterThanOrEqual(3600_000);
    expect(sim.trace.of("connect")).toHaveLength(1);
    // one connection all hour: heartbeats kept it up and nothing broke it
    expect(sim.trace.of("break")).toHaveLength(0);
    expect(globalThis.setTimeout).toBe(realSetTimeout);
    await sim.close();
  });

  it("a cut: the connecting PUSH keeps its queue for the next connection", async () => {
    const sim = simulation();
    const recv: string[] = [];
    sim.node("sink", async (n) => {
      const pull = n.socket(Pull);
      await pull.bind("sim://sink:1");
      for await (const [m] of pull) recv.push(String(m));
    });
    const src = sim.node("src");
    await sim.run(async () => {
      const push = src.socket(Push, { reconnectInterval: 100 });
      push.connect("sim://sink:1");
      await push.send("0");
      await sim.sleep(50);
      expect(sim.cut("src", "sink")).toBe(1);
      for (let i = 1; i <= 5; i++) await push.send(String(i));
      await sim.until(() => recv.length === 6, 10_000);
    });
    expect(recv).toEqual(["0", "1", "2", "3", "4", "5"]);
    expect(sim.trace.of("connect")).toHaveLength(2);
    expect(sim.trace.of("break").map((b) => b.reason)).toEqual(["cut"]);
    await sim.close();
  });

  it("a cut: the bound PUSH loses the pipe and what was queued on it, explained as disconnect", async () => {
    const sim = simulation();
    const recv: string[] = [];
    const src = sim.node("src");
    const big = Buffer.alloc(200_000);
    sim.node("sink", async (n) => {
      const pull = n.socket(Pull, { reconnectInterval: 1000, receiveHighWaterMark: 1 });
      pull.connect("sim://src:1");
      for await (const [, id] of pull) {
        recv.push(String(id));
        await n.clock.sleep(100); // a slow reader: the rest waits in the bound side's pipe
      }
    });
    await sim.run(async () => {
      const push = src.socket(Push, { sendHighWaterMark: 100 });
      await push.bind("sim://src:1");
      await sim.until(() => sim.trace.of("connect").length === 1, 1000);
      for (let i = 0; i < 20; i++) await push.send([big, String(i)]);
      await sim.sleep(250);
      sim.cut("src", "sink");
      await sim.sleep(5000);
      for (let i = 20; i < 23; i++) await push.send([big, String(i)]);
      await sim.until(() => recv.includes("22"), 10_000);
    });
    const lost = Array.from({ length: 23 }, (_, i) => String(i)).filter((k) => !recv.includes(k));
    // written to the wire but unread, or still queued in the bound side's pipe: both gone
    expect(lost.length).toBeGreaterThan(10);
    for (const k of lost) expect(sim.trace.fate(k, { to: "sink" })).toMatchObject({ status: "dropped", reason: "disconnect" });
    expect(recv.slice(-3)).toEqual(["20", "21", "22"]);
    await sim.close();
  });

  it("kill and restart: the node's address is free again, the client reconnects, killed fates are recorded", async () => {
    const sim = simulation();
    let lives = 0;
    sim.node("server", async (n) => {
      lives++;
      const rep = n.socket(Reply);
      await rep.bind("sim://server:7");
      for await (const [m] of rep) await rep.send(`${n.incarnation}:${m}`);
    });
    const client = sim.node("client");
    const out = await sim.run(async () => {
      const req = client.socket(Request, { reconnectInterval: 200, receiveTimeout: 5000 });
      req.connect("sim://server:7");
      await req.send("x");
      const a = String((await req.receive())[0]);
      sim.kill("server");
      await sim.sleep(1000);
      sim.restart("server");
      await req.send("y");
      return [a, String((await req.receive())[0])];
    });
    expect(out).toEqual(["0:x", "1:y"]);
    expect(lives).toBe(2);
    expect(sim.trace.of("break").some((b) => b.reason === "killed")).toBe(true);
    await sim.close();
  });

  it("a partition is noticed through heartbeats only, and heals into a new connection", async () => {
    const sim = simulation();
    const recv: string[] = [];
    sim.node("b", async (n) => {
      const pull = n.socket(Pull, { heartbeatInterval: 500, heartbeatTimeout: 1500 });
      await pull.bind("sim://b:1");
      for await (const [m] of pull) recv.push(String(m));
    });
    const a = sim.node("a");
    await sim.run(async () => {
      const push = a.socket(Push, { heartbeatInterval: 500, heartbeatTimeout: 1500, reconnectInterval: 100 });
      push.connect("sim://b:1");
      await push.send("before");
      await sim.until(() => recv.length === 1, 1000);
      sim.partition("a", "b");
      await sim.sleep(10_000);
      const breaks = sim.trace.of("break");
      expect(breaks.length).toBeGreaterThan(0);
      expect(breaks[0]!.partition).toBe(true);
      await push.send("during");
      sim.healLinks();
      await sim.until(() => recv.includes("during"), 10_000);
    });
    expect(recv).toEqual(["before", "during"]);
    await sim.close();
  });

  it("a one-way partition: the side that hears nothing gives up", async () => {
    const sim = simulation();
    sim.node("b", async (n) => {
      const r = n.socket(Router, { heartbeatInterval: 300, heartbeatTimeout: 900 });
      await r.bind("sim://b:1");
      for await (const _ of r);
    });
    const a = sim.node("a");
    await sim.run(async () => {
      const d = a.socket(Dealer, { heartbeatInterval: 300, heartbeatTimeout: 900, reconnectInterval: 60_000 });
      d.connect("sim://b:1");
      await sim.sleep(100);
      sim.partition("b", "a", { oneWay: true }); // b's packets to a are held, a's reach b
      await sim.sleep(3000);
    });
    const breaks = sim.trace.of("break");
    expect(breaks.length).toBe(1);
    await sim.close();
  });

  it("pause: a stopped node's peers see their heartbeats expire", async () => {
    const sim = simulation();
    sim.node("server", async (n) => {
      const rep = n.socket(Reply, { heartbeatInterval: 200 });
      await rep.bind("sim://server:1");
      for await (const [m] of rep) await rep.send(m);
    });
    const c = sim.node("client");
    await sim.run(async () => {
      const req = c.socket(Request, { heartbeatInterval: 200, heartbeatTimeout: 600, reconnectInterval: 100 });
      req.connect("sim://server:1");
      await req.send("1");
      await req.receive();
      sim.pause("server", 5000);
      await sim.sleep(2000);
      expect(sim.trace.of("break")).toHaveLength(1);
      await req.send("2");
      // answered once the server runs again and the client has reconnected
      const [r] = await req.receive();
      expect(String(r)).toBe("2");
      expect(sim.now).toBeGreaterThanOrEqual(5000);
    });
    await sim.close();
  });

  it("latency and bandwidth: a slow link delays delivery by its size", async () => {
    const sim = simulation({ latency: 5 });
    let at = 0;
    sim.node("b", async (n) => {
      const pull = n.socket(Pull);
      await pull.bind("sim://b:1");
      await pull.receive();
      at = sim.now;
    });
    const a = sim.node("a");
    await sim.run(async () => {
      const push = a.socket(Push);
      push.connect("sim://b:1");
      await sim.sleep(100);
      sim.setLink("a", "b", { bandwidth: 100 }); // 100 bytes per ms
      await push.send(Buffer.alloc(100_000));
      await sim.until(() => at > 0, 60_000);
    });
    expect(at - 100).toBeGreaterThanOrEqual(1000);
    await sim.close();
  });

  it("HWM pressure, no subscriber, no route: the trace says why each message was dropped", async () => {
    const sim = simulation();
    const pubNode = sim.node("pub");
    sim.node("sub", async (n) => {
      const s = n.socket(Subscriber, { receiveHighWaterMark: 1 });
      s.connect("sim://pub:1");
      s.subscribe("t");
      await n.clock.sleep(1_000_000); // never reads
    });
    await sim.run(async () => {
      const pub = pubNode.socket(Publisher, { sendHighWaterMark: 1 });
      await pub.bind("sim://pub:1");
      await pub.send(["t", "early"]);
      await sim.sleep(100);
      sim.setLink("pub", "sub", { bandwidth: 0.001 });
      // large messages: the engine stops writing at 1 MiB unsent, then the pipe fills
      for (let i = 0; i < 50; i++) await pub.send(["t", Buffer.alloc(100_000), `m${i}`]);
      await sim.sleep(10);
      const r = pubNode.socket(Router);
      await r.send(["nobody", "x"]);
    });
    expect(sim.trace.fate("early")).toMatchObject({ status: "dropped", reason: "unsubscribed" });
    const reasons = new Set(sim.trace.of("drop").map((d) => d.reason));
    expect(reasons).toEqual(new Set(["unsubscribed", "hwm", "unroutable"]));
    await sim.close();
  });

  it("a run that waits with nothing scheduled is a deadlock, reported at once", async () => {
    const sim = simulation();
    const a = sim.node("a");
    const err = await sim
      .run(async () => {
        const pull = a.socket(Pull);
        await pull.bind("sim://a:1");
        await pull.receive();
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimulationError);
    expect((err as SimulationError).code).toBe("EDEADLK");
    await sim.close();
  });

  it("reconnect jitter comes from the seeded random source", async () => {
    const intervals = async (seed: number) => {
      const sim = simulation({ plan: { seed, jitter: [], faults: [] } });
      const a = sim.node("a");
      const seen: number[] = [];
      await sim.run(async () => {
        const d = a.socket(Dealer, { reconnectInterval: 100 });
        d.events.on("connect:retry", (e) => seen.push((e as { interval: number }).interval));
        d.connect("sim://nowhere:1");
        await sim.sleep(2000);
      });
      await sim.close();
      return seen;
    };
    const x = await intervals(1);
    expect(x.length).toBeGreaterThan(3);
    for (const i of x) expect(i).toBeGreaterThanOrEqual(100);
    expect(await intervals(1)).toEqual(x);
    expect(await intervals(2)).not.toEqual(x);
  });

  it("sim:// outside a simulation is refused with a clear error", async () => {
    const d = new Dealer();
    expect(() => d.connect("sim://x:1")).toThrow(/simulation node/);
    d.close();
  });

  it("fates: what a killed peer never read is 'killed'; what a partition cost a bound sender is 'partition'", async () => {
    for (const fault of ["kill", "partition"] as const) {
      const sim = simulation();
      const recv: string[] = [];
      const src = sim.node("src");
      sim.node("sink", async (n) => {
        const pull = n.socket(Pull, { heartbeatInterval: 200, heartbeatTimeout: 600, reconnectInterval: 100 });
        pull.connect("sim://src:1");
        for await (const [m] of pull) recv.push(String(m));
      });
      await sim.run(async () => {
        const push = src.socket(Push, { heartbeatInterval: 200, heartbeatTimeout: 600 });
        await push.bind("sim://src:1");
        await sim.until(() => sim.trace.of("connect").length === 1, 1000);
        await push.send("first");
        await sim.until(() => recv.length === 1, 1000);
        if (fault === "kill") {
          await push.send("in flight");
          sim.kill("sink");
        } else {
          sim.partition("src", "sink");
          await push.send("in flight");
          await sim.sleep(2000); // the heartbeats give up on the connection
          sim.healLinks();
        }
        await sim.sleep(100);
      });
      expect(recv).toEqual(["first"]);
      expect(sim.trace.fate("first", { to: "sink" })).toMatchObject({ status: "delivered", to: ["sink"] });
      expect(sim.trace.fate("in flight", { to: "sink" })).toMatchObject({ status: "dropped", reason: fault === "kill" ? "killed" : "partition" });
      await sim.close();
    }
  });

  it("a cut at a byte: what was written up to it arrives, the rest is lost, both ends see a reset", async () => {
    const sim = simulation();
    const recv: string[] = [];
    sim.node("b", async (n) => {
      const pull = n.socket(Pull);
      await pull.bind("sim://b:1");
      for await (const [m] of pull) recv.push(String(m));
    });
    const a = sim.node("a");
    await sim.run(async () => {
      const push = a.socket(Push, { reconnectInterval: 100 });
      push.connect("sim://b:1");
      await push.send("m0");
      await sim.until(() => recv.length === 1, 1000);
      sim.cut("a", "b", 5); // m1 is 4 bytes on the wire (flags, size, "m1"): m1 passes, m2 does not
      await push.send("m1");
      await sim.sleep(0);
      await push.send("m2");
      await sim.sleep(1000);
    });
    expect(recv.slice(0, 2)).toEqual(["m0", "m1"]);
    expect(sim.trace.of("break").map((b) => b.reason)).toEqual(["cut"]);
    await sim.close();
  });

  it("overlapping partitions end one by one; heal() resumes a paused node at once", async () => {
    const sim = simulation();
    const got: number[] = [];
    sim.node("b", async (n) => {
      const pull = n.socket(Pull);
      await pull.bind("sim://b:1");
      for await (const _ of pull) got.push(sim.now);
    });
    const a = sim.node("a");
    await sim.run(async () => {
      const push = a.socket(Push);
      push.connect("sim://b:1");
      await sim.sleep(10);
      const first = sim.partition("a", "b");
      sim.partition("a", "b");
      sim.unpartition(first);
      await push.send("held");
      await sim.sleep(100);
      expect(got).toEqual([]); // the second partition still holds the link
      sim.pause("b", 100_000);
      sim.heal();
      await sim.until(() => got.length === 1, 1000);
    });
    expect(got[0]).toBeLessThan(1000);
    await sim.close();
  });

  it("a SYN waiting on a paused listener that is killed meanwhile is refused; the dialer retries and meets the restarted node", async () => {
    const sim = simulation();
    const recv: string[] = [];
    sim.node("srv", async (n) => {
      const p = n.socket(Pull);
      await p.bind("sim://srv:1");
      for await (const [m] of p) recv.push(String(m));
    });
    const cli = sim.node("cli");
    await sim.run(async () => {
      await sim.sleep(10);
      sim.pause("srv", 100);
      const push = cli.socket(Push, { reconnectInterval: 50 });
      push.connect("sim://srv:1");
      await sim.sleep(50);
      sim.kill("srv");
      await sim.sleep(20);
      sim.restart("srv");
      await push.send("hello");
      await sim.until(() => recv.length === 1, 5000);
    });
    expect(recv).toEqual(["hello"]);
    await sim.close();
  });

  it("CURVE over sim:// runs the same every time (its cryptography is loaded before any run)", async () => {
    const { curveKeyPair } = await import("omq");
    const server = curveKeyPair();
    const client = curveKeyPair();
    const once = async () => {
      const sim = simulation();
      sim.node("srv", async (n) => {
        const r = n.socket(Reply, { curveServer: true, curveSecretKey: server.secretKey });
        await r.bind("sim://srv:1");
        for await (const [m] of r) await r.send(`re:${m}`);
      });
      const c = sim.node("cli");
      const out = await sim.run(async () => {
        const q = c.socket(Request, { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey });
        q.connect("sim://srv:1");
        await q.send("x");
        return String((await q.receive())[0]);
      });
      const r = [out, sim.now, sim.trace.hash(), sim.trace.of("break").length];
      await sim.close();
      return r;
    };
    const first = await once();
    expect(first[0]).toBe("re:x");
    expect(first[3]).toBe(0);
    expect(await once()).toEqual(first);
  });

  it("code of a killed node connects nowhere", async () => {
    const sim = simulation();
    const a = sim.node("a");
    sim.node("b", async (n) => {
      await n.socket(Pull).bind("sim://b:1");
    });
    await sim.run(async () => {
      const ctx = a.context;
      sim.kill("a");
      const push = new Push({ context: ctx, reconnectInterval: 10 });
      push.connect("sim://b:1");
      await sim.sleep(100);
      push.close();
    });
    expect(sim.trace.of("connect")).toHaveLength(0);
    await sim.close();
  });

  it("the tap hears a ROUTER drop a lone id frame and an XSUB drop at its HWM", async () => {
    const { XPublisher, XSubscriber } = await import("omq");
    const sim = simulation();
    const n = sim.node("n");
    await sim.run(async () => {
      const r = n.socket(Router);
      await r.send(["lonely"]); // an id and no body: libzmq drops it
      const xpub = sim.node("p").socket(XPublisher);
      await xpub.bind("sim://p:1");
      const xsub = n.socket(XSubscriber, { sendHighWaterMark: 2 });
      xsub.connect("sim://p:1");
      await sim.sleep(10);
      sim.pause("p", 1_000_000); // the XPUB's node stops reading: the wire, then the pipe, fill
      for (let i = 0; i < 40; i++) await xsub.send([Buffer.alloc(100_000), `up${i}`]);
      await sim.sleep(10);
    });
    expect(sim.trace.fate("lonely")).toMatchObject({ status: "dropped", reason: "unroutable" });
    expect(sim.trace.of("drop").filter((d) => d.reason === "hwm" && d.key.startsWith("up")).length).toBeGreaterThan(0);
    await sim.close();
  });

  it("a context's clock is set before its first socket, never under a live one", async () => {
    const { Context, Pull: P } = await import("omq");
    const ctx = new Context();
    const sim = simulation();
    ctx.clock = sim.clock; // no socket yet: fine
    const s = new P({ context: ctx });
    expect(() => (ctx.clock = sim.clock)).toThrow(expect.objectContaining({ code: "EBUSY" }));
    s.close();
    await sim.close();
  });
});

