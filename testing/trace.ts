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
    const send = this.events.find((e) => e.kind === "send" && e.key === key) as Extract<TraceEvent, { kind: "send" }> | undefined;
    if (send === undefined) return { status: "pending" };
    const recvs = this.events.filter((e) => e.kind === "recv" && e.key === key && e.node !== send.node && (o.to === undefined || e.node === o.to)) as Extract<TraceEvent, { kind: "recv" }>[];
    if (recvs.length > 0) return { status: "delivered", to: [...new Set(recvs.map((r) => r.node))], at: recvs[0]!.t };
    const s = send.node;
    for (const e of this.events) {
      if (e.t < send.t) continue;
      if (e.kind === "drop" && e.key === key && e.node === s) return { status: "dropped", reason: e.reason, at: e.t };
    }
    const touches = (a: string, b: string) => (a === s || b === s) && (o.to === undefined || a === o.to || b === o.to);
    if (o.to !== undefined && !this.connectedAt(s, o.to, send.t)) return { status: "dropped", reason: "unsubscribed", at: send.t };
    for (const e of this.events) {
      if (e.t < send.t) continue;
      if (e.kind === "break" && touches(e.a, e.b)) {
        const reason: LossReason = e.reason === "killed" ? "killed" : e.partition ? "partition" : "disconnect";
        return { status: "dropped", reason, at: e.t };
      }
      if (e.kind === "kill" && (e.node === s || e.node === o.to)) return { status: "dropped", reason: "killed", at: e.t };
    }
    return { status: "pending" };
  }

  /** Was there a live connection between nodes a and b at time t? */
  connectedAt(a: string, b: string, t: number): boolean {
    const live = new Set<number>();
    for (const e of this.events) {
      if (e.t > t) break;
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
