// A simulation: nodes (restartable factories, each with its own Context on
// the simulation's virtual clock and seeded random source), the sim://
// network between them, the plan's faults applied at their times, the trace,
// and the driver that moves virtual time. Time jumps to the next event only
// when the real event loop has run dry (no microtasks, ticks or immediates
// left that touch the simulation), so a simulated hour takes as long as its
// events, and the run is the same every time for the same plan.
import { Context } from "../lib/core/context.js";
import type { Msg } from "../lib/core/message.js";
import type { MessageTap } from "../lib/core/tap.js";
import type { Socket } from "../lib/api/socket.js";
import { type Link, type LinkSpeed, type SimHost, SimNetwork, type SimWire, attachSimContext } from "../transports/sim/index.js";
import { History } from "./history.js";
import { type FaultEvent, type Plan, describeFault } from "./plan.js";
import { seededRandom } from "./random.js";
import { type KeyOf, Trace, lastFrameKey } from "./trace.js";
import { EventQueue, NodeClock, type VirtualTimer } from "./virtual-clock.js";

export interface SimulationOptions {
  /** Seed, jitter and faults (from plan()); default: seed 0, nothing else. */
  plan?: Plan;
  /** One-way latency of every link, virtual ms (default 1). */
  latency?: number;
  /** A run() gives up past this much virtual time (default 24 h). */
  maxTime?: number;
  /** What identifies a message in the trace (default: its last frame as text). */
  key?: KeyOf;
  /** Where sometimes() labels are counted (the property runner's). */
  coverage?: Coverage;
}

/** Labels a property must reach at least once over its runs. */
export class Coverage {
  readonly declared = new Set<string>();
  readonly hits = new Map<string, number>();
  sometimes(label: string, cond: boolean): void {
    this.declared.add(label);
    if (cond) this.hits.set(label, (this.hits.get(label) ?? 0) + 1);
  }
  missing(): string[] {
    return [...this.declared].filter((l) => !this.hits.has(l));
  }
}

export class SimulationError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "SimulationError";
  }
}

interface Watcher {
  cond: () => boolean;
  resolve: () => void;
  timer: VirtualTimer | undefined;
}

type SocketClass<S> = new (options?: Record<string, unknown>) => S;
type Factory = (n: SimNode) => unknown;

/** One life of a node: its context, clock, sockets and connections. */
class Incarnation implements SimHost {
  alive = true;
  pausedUntil = 0;
  readonly wires = new Set<SimWire>();
  readonly sockets = new Set<Socket>();
  readonly context = new Context();
  readonly clock: NodeClock;
  constructor(
    readonly name: string,
    readonly incarnation: number,
    q: EventQueue,
    random: () => number,
  ) {
    this.clock = new NodeClock(q, this, random);
  }
}

/** The end of a life: its connections vanish (peers see resets), its
 * sockets close at once, its timers never fire. */
function end(life: Incarnation): void {
  life.alive = false;
  for (const w of [...life.wires]) w.kill();
  for (const s of [...life.sockets]) {
    try {
      (s as unknown as { linger: number }).linger = 0;
      s.close();
    } catch {
      // a socket that cannot close cleanly is gone all the same
    }
  }
}

/** A machine of the simulation. Its factory runs at start and after every restart. */
export class SimNode {
  /** @internal */ life: Incarnation;
  private lives = 0;
  constructor(
    private readonly sim: Simulation,
    readonly name: string,
    private readonly factory: Factory | undefined,
  ) {
    this.life = this.born();
  }

  /** The context of this node's current life (sockets made with it live here). */
  get context(): Context {
    return this.life.context;
  }
  /** Virtual time for this node's own timers (stops while it is paused). */
  get clock(): NodeClock {
    return this.life.clock;
  }
  get alive(): boolean {
    return this.life.alive;
  }
  /** Which life this is (0 at start, +1 per restart). */
  get incarnation(): number {
    return this.life.incarnation;
  }
  /** The simulation's seeded random source. */
  random(): number {
    return this.life.clock.random();
  }

  /** A socket of this node: `new Ctor({ ...options, context })`. */
  socket<S>(Ctor: SocketClass<S>, options: Record<string, unknown> = {}): S {
    return new Ctor({ ...options, context: this.life.context });
  }

  /** An application event for the trace ("exec", "state", ...). */
  record(label: string, data?: unknown): void {
    this.sim.trace.add(data === undefined ? { t: this.sim.now, kind: "note", node: this.name, label } : { t: this.sim.now, kind: "note", node: this.name, label, data });
  }

  /** @internal */
  born(): Incarnation {
    const life = new Incarnation(this.name, this.lives++, this.sim.queue, this.sim.random);
    this.life = life;
    this.sim.place(life);
    if (this.factory !== undefined) this.sim.runFactory(this, life, this.factory);
    return life;
  }
}

export class Simulation {
  /** @internal */ readonly queue = new EventQueue();
  /** @internal */ readonly random: () => number;
  readonly trace = new Trace();
  readonly network: SimNetwork;
  /** The simulation's own clock (never paused or killed). */
  readonly clock: NodeClock;
  readonly plan: Plan;
  private readonly nodes = new Map<string, SimNode>();
  private readonly key: KeyOf;
  private readonly maxTime: number;
  private readonly coverage: Coverage;
  private readonly ports = { value: 49152 };
  private readonly faultTimers: VirtualTimer[] = [];
  private readonly socketNames = new WeakMap<object, { node: string; name: string }>();
  private socketCount = 0;
  private tapChanges = 0;
  private readonly failures: unknown[] = [];
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  constructor(o: SimulationOptions = {}) {
    this.plan = o.plan ?? { seed: 0, jitter: [], faults: [] };
    this.random = seededRandom(this.plan.seed);
    this.key = o.key ?? lastFrameKey;
    this.maxTime = o.maxTime ?? 24 * 3600_000;
    this.coverage = o.coverage ?? new Coverage();
    this.clock = new NodeClock(this.queue, undefined, this.random);
    const jitter = this.plan.jitter;
    let j = 0;
    this.network = new SimNetwork(this.queue, {
      latency: o.latency ?? 1,
      jitter: jitter.length === 0 ? () => 0 : () => jitter[j++ % jitter.length]!,
      observer: {
        connected: (a, b, id) => this.trace.add({ t: this.now, kind: "connect", a, b, id }),
        broke: (a, b, id, reason, partition) => this.trace.add({ t: this.now, kind: "break", a, b, id, reason, partition }),
      },
    });
    for (const f of this.plan.faults) this.faultTimers.push(this.queue.schedule(f.at, () => this.apply(f)));
  }

  get now(): number {
    return this.queue.now;
  }

  /** Add a node; `factory` runs now and after each restart (kill with a restart). */
  node(name: string, factory?: Factory): SimNode {
    if (this.nodes.has(name)) throw new SimulationError(`node ${name} exists`, "EEXIST");
    if (name.includes(":") || name === "*") throw new SimulationError(`bad node name ${name}`, "EINVAL");
    const n = new SimNode(this, name, factory);
    this.nodes.set(name, n);
    return n;
  }

  get(name: string): SimNode {
    const n = this.nodes.get(name);
    if (n === undefined) throw new SimulationError(`no node ${name}`, "ENOENT");
    return n;
  }

  /** A history of request/response operations, for checks. */
  history(): History {
    return new History(() => this.now);
  }

  /** Count `label` as reached when `cond` holds; the property fails if no run ever reaches it. */
  sometimes(label: string, cond: boolean): void {
    this.coverage.sometimes(label, cond);
  }

  /** Run `body` to its end, moving virtual time whenever nothing else can
   * happen. Rejects with the body's error, a node's crash, a deadlock
   * (nothing scheduled while the body still waits) or the time limit. */
  async run<T>(body: () => Promise<T> | T): Promise<T> {
    let done = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    Promise.resolve()
      .then(body)
      .then(
        (v) => {
          done = true;
          value = v;
        },
        (e) => {
          done = true;
          failed = true;
          error = e;
        },
      );
    const limit = this.now + this.maxTime;
    for (;;) {
      await this.settle();
      if (this.watchers.size > 0 && this.checkWatchers()) continue;
      if (this.failures.length > 0) throw this.failures[0];
      if (done) break;
      const at = this.queue.peekTime();
      if (at === undefined) throw new SimulationError(`deadlock at ${this.now} ms: the run waits and nothing is scheduled`, "EDEADLK");
      if (at > limit) throw new SimulationError(`virtual time limit: ${this.maxTime} ms passed and the run has not finished`, "ETIMEDOUT");
      this.queue.fire(this.queue.take()!);
    }
    if (failed) throw error;
    return value as T;
  }

  /** Let virtual time pass (inside run()). */
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }

  /** Resolves once `cond()` holds (checked whenever the simulation has
   * settled, after every event); rejects after `within` ms. */
  until(cond: () => boolean, within = this.maxTime): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Watcher = { cond, resolve, timer: undefined };
      w.timer = this.queue.schedule(this.now + within, () => {
        this.watchers.delete(w);
        reject(new SimulationError(`condition not reached within ${within} ms`, "ETIMEDOUT"));
      });
      this.watchers.add(w);
    });
  }

  // --- faults (the plan's are applied at their times; these are for tests that drive faults by hand)

  /** Packets between a and b (or from a to b only) wait until heal; returns
   * the links it holds, for unpartition(). */
  partition(a: string, b = "*", o: { oneWay?: boolean } = {}): Link[] {
    this.trace.add({ t: this.now, kind: "fault", node: a, text: `partition ${a}${o.oneWay ? "→" : "↔"}${b}` });
    const links = this.pairs(a, b).flatMap(([x, y]) => (o.oneWay ? [this.network.link(x, y)] : [this.network.link(x, y), this.network.link(y, x)]));
    for (const l of links) l.partitions++;
    return links;
  }

  /** End one partition (what partition() returned); others may still hold the links. */
  unpartition(links: Link[]): void {
    for (const l of links) this.network.unpartition(l);
  }

  /** End every partition (all, or between a and b). */
  healLinks(a?: string, b = "*"): void {
    const links = a === undefined ? this.network.allLinks() : this.pairs(a, b).flatMap(([x, y]) => [this.network.link(x, y), this.network.link(y, x)]);
    for (const l of links) this.network.heal(l);
  }

  /** The liveness phase: no more planned faults, every link healed and at
   * its default speed, paused nodes resumed, killed nodes restarted. */
  heal(): this {
    for (const t of this.faultTimers) this.queue.cancel(t);
    for (const l of this.network.allLinks()) {
      l.reset({ latency: this.network.o.latency, bandwidth: Infinity });
      this.network.heal(l);
    }
    for (const n of this.nodes.values()) {
      if (!n.life.alive) this.restart(n.name);
      else if (n.life.pausedUntil > this.now) {
        n.life.pausedUntil = 0;
        this.queue.resume(n.life);
      }
    }
    this.trace.add({ t: this.now, kind: "fault", node: "*", text: "heal" });
    return this;
  }

  /** Break the connections between a and b after `afterBytes` more bytes. */
  cut(a: string, b = "*", afterBytes = 0): number {
    const ws = this.wiresBetween(a, b);
    for (const w of ws) w.cutAfter(afterBytes);
    return ws.length;
  }

  /** Flip one byte `afterBytes` from now on each connection between a and b (opt-in). */
  corrupt(a: string, b = "*", afterBytes = 0): number {
    const ws = this.wiresBetween(a, b);
    for (const w of ws) w.corruptAfter(afterBytes);
    return ws.length;
  }

  /** a's ends of its live connections to b (any node: "*"). */
  private wiresBetween(a: string, b: string): SimWire[] {
    return [...this.get(a).life.wires].filter((w) => b === "*" || w.remote === b);
  }

  /** Kill a node: its sockets vanish without closing handshakes, its timers
   * never fire, its peers see resets, its bound names are free. */
  kill(name: string): void {
    const n = this.get(name);
    const life = n.life;
    if (!life.alive) return;
    this.trace.add({ t: this.now, kind: "kill", node: name });
    end(life);
  }

  /** Start a killed node again: its factory runs in a fresh context. */
  restart(name: string): void {
    const n = this.get(name);
    if (n.life.alive) return;
    this.trace.add({ t: this.now, kind: "restart", node: name });
    n.born();
  }

  /** Stop a node for `ms`: its timers and its reads wait (peers' heartbeats may expire). */
  pause(name: string, ms: number): void {
    const life = this.get(name).life;
    this.trace.add({ t: this.now, kind: "pause", node: name, text: `${ms}ms` });
    life.pausedUntil = Math.max(life.pausedUntil, this.now + ms);
  }

  /** Set latency and bandwidth (bytes/ms) of the links between a and b. */
  setLink(a: string, b: string, o: { latency?: number; bandwidth?: number }): void {
    const set: Partial<LinkSpeed> = {};
    if (o.latency !== undefined) set.latency = o.latency;
    if (o.bandwidth !== undefined) set.bandwidth = o.bandwidth;
    for (const l of this.linksBetween(a, b)) l.setBase(set);
  }

  private linksBetween(a: string, b: string): Link[] {
    return this.pairs(a, b).flatMap(([x, y]) => [this.network.link(x, y), this.network.link(y, x)]);
  }

  private apply(f: FaultEvent): void {
    this.trace.add({ t: this.now, kind: "fault", node: "a" in f ? f.a : f.node, text: describeFault(f) });
    switch (f.kind) {
      case "kill":
        this.kill(f.node);
        if (f.restartAfter !== undefined) this.faultTimers.push(this.queue.schedule(this.now + f.restartAfter, () => this.restart(f.node)));
        return;
      case "pause":
        this.pause(f.node, f.ms);
        return;
      case "partition": {
        const links = this.partition(f.a, f.b, { oneWay: f.oneWay === true });
        this.faultTimers.push(this.queue.schedule(this.now + f.ms, () => this.unpartition(links)));
        return;
      }
      case "cut":
        this.cut(f.a, f.b, f.afterBytes);
        return;
      case "corrupt":
        this.corrupt(f.a, f.b, f.afterBytes);
        return;
      case "slow": {
        // overlapping slow faults stack: each one's end takes away only its own speed
        const held = this.linksBetween(f.a, f.b).map((l) => [l, l.pushOverride({ latency: f.latency, bandwidth: f.bandwidth })] as const);
        this.faultTimers.push(
          this.queue.schedule(this.now + f.ms, () => {
            for (const [l, it] of held) l.dropOverride(it);
          }),
        );
        return;
      }
    }
  }

  private pairs(a: string, b: string): Array<[string, string]> {
    const others = b === "*" ? [...this.nodes.keys()].filter((x) => x !== a) : [b];
    return others.map((o) => [a, o]);
  }

  /** Close every socket of every node (the end of a run). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.faultTimers) this.queue.cancel(t);
    for (const n of this.nodes.values()) end(n.life);
    await new Promise((r) => setImmediate(r));
  }

  // --- @internal: nodes and the driver

  /** @internal give a node life its network place and its trace tap. */
  place(life: Incarnation): void {
    attachSimContext(life.context, this.network, life, this.ports);
    life.context.clock = life.clock;
    const sim = this;
    const name = (s: object) => this.socketNames.get(s)?.name ?? "?";
    const tap: MessageTap = {
      opened(s) {
        life.sockets.add(s as Socket);
        sim.socketNames.set(s, { node: life.name, name: `${life.name}/${(s as { constructor: { name: string } }).constructor.name}#${++sim.socketCount}` });
      },
      closed(s) {
        life.sockets.delete(s as Socket);
      },
      sent(s, msg) {
        sim.log("send", life, name(s), msg);
      },
      received(s, msg) {
        sim.log("recv", life, name(s), msg);
      },
      dropped(s, msg, reason) {
        const key = sim.key(msg);
        sim.tapChanges++;
        if (key !== undefined) sim.trace.add({ t: sim.now, kind: "drop", node: life.name, socket: name(s), key, reason });
      },
    };
    life.context.tap = tap;
  }

  private log(kind: "send" | "recv", life: Incarnation, socket: string, msg: Msg): void {
    this.tapChanges++;
    const key = this.key(msg);
    if (key !== undefined) this.trace.add({ t: this.now, kind, node: life.name, socket, key });
  }

  /** @internal */
  runFactory(n: SimNode, life: Incarnation, factory: Factory): void {
    Promise.resolve()
      .then(() => factory(n))
      .catch((e: unknown) => {
        // a killed life's code fails as its sockets close under it: expected
        if (life.alive && !this.closed) this.failures.push(e);
      });
  }

  /** Resolve the watchers whose condition holds; true if any did. */
  private checkWatchers(): boolean {
    let any = false;
    for (const w of [...this.watchers]) {
      if (!w.cond()) continue;
      this.watchers.delete(w);
      this.queue.cancel(w.timer);
      w.resolve();
      any = true;
    }
    return any;
  }

  private activity(): number {
    return this.queue.changes + this.network.changes + this.tapChanges;
  }

  /** Let the real event loop run until a whole turn passes that touched
   * nothing of the simulation. */
  private async settle(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      const a = this.activity();
      await new Promise<void>((r) => setImmediate(r));
      quiet = a === this.activity() ? quiet + 1 : 0;
    }
  }
}

/** A new simulation (see SimulationOptions). */
export function simulation(o: SimulationOptions = {}): Simulation {
  return new Simulation(o);
}
