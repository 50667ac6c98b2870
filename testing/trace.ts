// The oracle's record: every message each simulated socket sent, received or
// dropped (through the Context's tap), every connection made and broken,
// every fault and node event, and the application's own notes, all stamped
// with virtual time. From it: the fate of each message, and a hash of the
// whole run for the determinism guard.
import { createHash } from "node:crypto";
import type { Msg } from "../lib/core/message.js";
import type { DropReason } from "../lib/core/tap.js";

export type LossReason = DropReason | "disconnect" | "partition" | "killed";

export type TraceEvent =
  | { t: number; kind: "send"; node: string; socket: string; key: string }
  | { t: number; kind: "recv"; node: string; socket: string; key: string }
  | { t: number; kind: "drop"; node: string; socket: string; key: string; reason: DropReason }
  | { t: number; kind: "note"; node: string; label: string; data?: unknown }
  | { t: number; kind: "connect"; a: string; b: string; id: number }
  | { t: number; kind: "break"; a: string; b: string; id: number; reason: string; partition: boolean }
  | { t: number; kind: "kill"; node: string; text?: string }
  | { t: number; kind: "restart"; node: string; text?: string }
  | { t: number; kind: "pause"; node: string; text?: string }
  | { t: number; kind: "fault"; node: string; text?: string };

export type Fate =
  | { status: "delivered"; to: string[]; at: number }
  | { status: "dropped"; reason: LossReason; at: number }
  /** Neither delivered nor explained: still queued or in flight when the run
   * stopped (or lost for a reason the trace does not know: a bug). */
  | { status: "pending" };

/** What identifies a message across the wire (default: its last frame as text). */
export type KeyOf = (msg: Msg) => string | undefined;
export const lastFrameKey: KeyOf = (m) => (m.length === 0 ? undefined : m[m.length - 1]!.toString());

export class Trace {
  readonly events: TraceEvent[] = [];

  add(e: TraceEvent): void {
    this.events.push(e);
  }

  /** Events of one kind (typed). */
  of<K extends TraceEvent["kind"]>(kind: K): Extract<TraceEvent, { kind: K }>[] {
    return this.events.filter((e) => e.kind === kind) as Extract<TraceEvent, { kind: K }>[];
  }

  /** Keys received by the sockets of `node`, in order. */
  received(node: string): string[] {
    return this.of("recv").filter((e) => e.node === node).map((e) => e.key);
  }

  /** Keys sent by the sockets of `node`, in order. */
  sent(node: string): string[] {
    return this.of("send").filter((e) => e.node === node).map((e) => e.key);
  }

  notes(label: string): Array<Extract<TraceEvent, { kind: "note" }>> {
    return this.of("note").filter((e) => e.label === label);
  }

  /**
   * The fate of the message sent with `key` (its first send): delivered (to
   * which nodes), or dropped with a reason — a socket's own drop (hwm,
   * unsubscribed, unroutable), or a connection of its sender (to `to`, if
   * given) breaking after it was sent (disconnect, partition, killed), or no
   * connection to `to` at the time (unsubscribed) — or pending.
   */
  fate(key: string, o: { to?: string } = {}): Fate {
    const ev = this.events;
    const at = ev.findIndex((e) => e.kind === "send" && e.key === key);
    if (at < 0) return { status: "pending" };
    const send = ev[at] as Extract<TraceEvent, { kind: "send" }>;
    const s = send.node;
    const to = new Set<string>();
    let first = 0;
    for (let i = at + 1; i < ev.length; i++) {
      const e = ev[i]!;
      if (e.kind === "recv" && e.key === key && e.node !== s && (o.to === undefined || e.node === o.to)) {
        if (to.size === 0) first = e.t;
        to.add(e.node);
      }
    }
    if (to.size > 0) return { status: "delivered", to: [...to], at: first };
    // a socket's own drop is told before the send it belongs to (the tap hears of the send once the pattern took it)
    for (const e of ev) {
      if (e.kind === "drop" && e.key === key && e.node === s && e.t >= send.t) return { status: "dropped", reason: e.reason, at: e.t };
    }
    // a PUB drops what it cannot deliver (no connection yet, no matching
    // subscription there): other senders queue, so no connection is no reason
    const publishes = /\/X?Publisher#/.test(send.socket);
    if (o.to !== undefined && publishes && !this.connectedBefore(s, o.to, at)) return { status: "dropped", reason: "unsubscribed", at: send.t };
    const touches = (a: string, b: string) => (a === s || b === s) && (o.to === undefined || a === o.to || b === o.to);
    for (let i = at + 1; i < ev.length; i++) {
      const e = ev[i]!;
      if (e.kind === "break" && touches(e.a, e.b)) {
        const reason: LossReason = e.reason === "killed" ? "killed" : e.partition ? "partition" : "disconnect";
        return { status: "dropped", reason, at: e.t };
      }
      if (e.kind === "kill" && (e.node === s || e.node === o.to)) return { status: "dropped", reason: "killed", at: e.t };
    }
    // delivered to others but not to `to`, over a connection that stayed up:
    // that subscriber's filter did not match (the PUB reports no per-peer drop)
    if (o.to !== undefined && publishes) return { status: "dropped", reason: "unsubscribed", at: send.t };
    return { status: "pending" };
  }

  /** Was a connection between nodes a and b up just before event `index`? */
  private connectedBefore(a: string, b: string, index: number): boolean {
    const live = new Set<number>();
    for (let i = 0; i < index; i++) {
      const e = this.events[i]!;
      if (e.kind === "connect" && ((e.a === a && e.b === b) || (e.a === b && e.b === a))) live.add(e.id);
      if (e.kind === "break") live.delete(e.id);
    }
    return live.size > 0;
  }

  /** A hash of the whole run: equal for equal runs. */
  hash(): string {
    const h = createHash("sha256");
    for (const e of this.events) h.update(JSON.stringify(e, (_k, v) => (Buffer.isBuffer(v) ? v.toString("hex") : v)) + "\n");
    return h.digest("hex").slice(0, 32);
  }
}
