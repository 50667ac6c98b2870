// The simulated network under sim://: nodes, directed links between them
// with latency, bandwidth and partitions, listeners by address, and the
// packets (SYN, data, FIN, RST) of each connection, all carried as events in
// virtual time. Within a connection bytes arrive in order, whole, exactly
// once (sequence numbers, as TCP), whatever the latency, jitter or partitions
// do to their arrival times; a connection breaks only when a fault says so
// (a cut, a killed node) or an engine gives up on it (heartbeats). Only the
// transport and time are simulated: the ZMTP engine, sessions, pipes and
// patterns above are the real ones.
import type { ClockOwner, EventQueue } from "../../testing/virtual-clock.js";
import { SimWire } from "./wire.js";

/** A running node as the network sees it (one incarnation of it). */
export interface SimHost extends ClockOwner {
  readonly name: string;
  /** Every wire end this incarnation owns (killed together). */
  readonly wires: Set<SimWire>;
}

export interface LinkSpeed {
  latency: number;
  bandwidth: number;
}

/** One direction between two nodes. */
export class Link {
  /** Virtual ms a packet takes (before jitter): the latest override's, else the base. */
  latency: number;
  /** Bytes per virtual ms (Infinity: no limit). */
  bandwidth = Infinity;
  /** Partitions in force (overlapping ones end one by one). */
  partitions = 0;
  private busyUntil = 0;
  readonly held: Array<() => void> = [];
  /** What setLink chose; temporary slow faults stack above it. */
  base: LinkSpeed;
  private readonly overrides: LinkSpeed[] = [];

  constructor(
    readonly from: string,
    readonly to: string,
    latency: number,
  ) {
    this.latency = latency;
    this.base = { latency, bandwidth: Infinity };
  }

  /** Packets arriving now wait for the partitions to end. */
  get partitioned(): boolean {
    return this.partitions > 0;
  }

  setBase(o: Partial<LinkSpeed>): void {
    this.base = { ...this.base, ...o };
    this.apply();
  }

  /** A temporary speed (a slow fault) until dropOverride(it). */
  pushOverride(o: LinkSpeed): LinkSpeed {
    const it = { ...o };
    this.overrides.push(it);
    this.apply();
    return it;
  }

  dropOverride(it: LinkSpeed): void {
    const i = this.overrides.indexOf(it);
    if (i >= 0) this.overrides.splice(i, 1);
    this.apply();
  }

  /** Back to `base` with no overrides. */
  reset(base: LinkSpeed): void {
    this.overrides.length = 0;
    this.base = { ...base };
    this.apply();
  }

  private apply(): void {
    const s = this.overrides[this.overrides.length - 1] ?? this.base;
    this.latency = s.latency;
    this.bandwidth = s.bandwidth;
  }

  /** When a packet of `bytes` sent now arrives. */
  arrival(now: number, bytes: number, jitter: number): number {
    let t = now;
    if (this.bandwidth !== Infinity && bytes > 0) {
      const start = Math.max(now, this.busyUntil);
      this.busyUntil = start + bytes / this.bandwidth;
      t = this.busyUntil;
    }
    return t + this.latency + jitter;
  }
}

/** A bound sim:// address. */
export interface SimListener {
  readonly node: SimHost;
  incoming(wire: SimWire): void;
}

/** Why a connection ended, for the trace. */
export type BreakReason = "cut" | "killed" | "closed" | "refused";

export interface NetworkObserver {
  /** A connection came up between two nodes. */
  connected?(a: string, b: string, id: number): void;
  /** A connection ended (either end closed, a fault broke it). */
  broke?(a: string, b: string, id: number, reason: BreakReason, duringPartition: boolean): void;
}

export interface NetworkOptions {
  /** Default one-way latency, virtual ms. */
  latency: number;
  /** Extra latency for the next packet (the plan's scheduling choices). */
  jitter: () => number;
  observer?: NetworkObserver;
}

export class SimNetwork {
  private readonly links = new Map<string, Link>();
  private readonly listeners = new Map<string, SimListener>();
  private nextConnection = 1;
  /** Bumped on every packet sent or delivered: the driver's sign of activity. */
  changes = 0;

  constructor(
    readonly q: EventQueue,
    readonly o: NetworkOptions,
  ) {}

  link(from: string, to: string): Link {
    const k = `${from}\u0000${to}`;
    let l = this.links.get(k);
    if (l === undefined) this.links.set(k, (l = new Link(from, to, this.o.latency)));
    return l;
  }

  /** Every link touching `node` (both directions), existing or not yet used. */
  linksOf(node: string, others: Iterable<string>): Link[] {
    const out: Link[] = [];
    for (const o of others) if (o !== node) out.push(this.link(node, o), this.link(o, node));
    return out;
  }

  allLinks(): Link[] {
    return [...this.links.values()];
  }

  /** One partition of `l` ends; the last one releases what was held (in order). */
  unpartition(l: Link): void {
    if (l.partitions > 0 && --l.partitions === 0) for (const f of l.held.splice(0)) f();
  }

  /** Every partition of `l` ends at once. */
  heal(l: Link): void {
    l.partitions = 0;
    for (const f of l.held.splice(0)) f();
  }

  listen(address: string, l: SimListener): void {
    if (this.listeners.has(address)) throw Object.assign(new Error(`Address already in use: sim://${address}`), { code: "EADDRINUSE" });
    this.listeners.set(address, l);
  }

  unlisten(address: string, l: SimListener): void {
    if (this.listeners.get(address) === l) this.listeners.delete(address);
  }

  /** Open a connection from `host` to `address`: the dialing end, which
   * emits 'connect' once the SYN-ACK is back, or 'error' (ECONNREFUSED). */
  dial(host: SimHost, address: string): SimWire {
    // the code of a killed node may still run for a moment: it connects nowhere
    if (!host.alive) throw Object.assign(new Error(`node ${host.name} is not running`), { code: "ENETDOWN" });
    const id = this.nextConnection++;
    const target = address.slice(0, address.lastIndexOf(":")) || address;
    const client = new SimWire(this, host, target, id, true);
    const syn = () => {
      if (client.dead) return;
      const l = this.listeners.get(address);
      if (l === undefined || !l.node.alive) {
        this.send(target, host.name, 0, client.host, () => client.refused());
        return;
      }
      if (l.node.pausedUntil > this.q.now) {
        // a paused process accepts when it runs again (the SYN itself belongs
        // to nobody: if the listener dies meanwhile, the dialer is refused)
        this.q.schedule(l.node.pausedUntil, syn);
        return;
      }
      const server = new SimWire(this, l.node, host.name, id, false);
      server.adoptPair(client);
      server.peer = client;
      client.peer = server;
      this.o.observer?.connected?.(host.name, l.node.name, id);
      // the SYN-ACK leads: the engine's greeting follows it on the wire
      server.sendPacket({ kind: "synack" });
      l.incoming(server);
    };
    this.send(host.name, target, 0, undefined, syn);
    return client;
  }

  /** Carry one packet from node `from` to node `to`: `deliver` runs at its
   * arrival (for `owner`: not if it is dead, later if it is paused), or is
   * held while the link is partitioned. */
  send(from: string, to: string, bytes: number, owner: ClockOwner | undefined, deliver: () => void): void {
    this.changes++;
    const l = this.link(from, to);
    const at = l.arrival(this.q.now, bytes, this.o.jitter());
    const arrive = () => {
      if (l.partitioned) {
        l.held.push(() => this.q.schedule(this.q.now + l.latency, arrive, owner));
        return;
      }
      this.changes++;
      deliver();
    };
    this.q.schedule(at, arrive, owner);
  }

  broke(w: SimWire, reason: BreakReason): void {
    const a = w.dialer ? w.host.name : w.remote;
    const b = w.dialer ? w.remote : w.host.name;
    const during = this.link(a, b).partitioned || this.link(b, a).partitioned;
    this.o.observer?.broke?.(a, b, w.connection, reason, during);
  }
}
