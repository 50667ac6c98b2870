// Oracles over a run's trace and history. Each check throws a CheckError
// saying what it saw (the property runner prints it with the replay line).
import type { History, Op } from "./history.js";
import type { Simulation } from "./simulation.js";
import type { Fate, Trace } from "./trace.js";

export class CheckError extends Error {
  readonly code = "ECHECK";
  constructor(message: string) {
    super(message);
    this.name = "CheckError";
  }
}

function fail(msg: string): never {
  throw new CheckError(msg);
}

/** Every completed-ok operation satisfies `pred` (e.g. its reply answers its request). */
export function everyOk(h: History, pred: (invoke: Op, ok: Op) => boolean, what = "an ok operation broke the rule"): void {
  for (const [inv, done] of h.pairs()) {
    if (done.type === "ok" && !pred(inv, done)) fail(`${what}: ${inv.process} ${inv.f} ${JSON.stringify(inv.value)} → ${JSON.stringify(String(done.result))} at ${done.time}ms\n${h}`);
  }
}

/** Every operation completed ok (none failed, none left unknown). */
export function allOk(h: History, what = "an operation did not complete"): void {
  for (const [inv, done] of h.pairs()) {
    if (done.type !== "ok") fail(`${what}: ${inv.process} ${inv.f} ${JSON.stringify(inv.value)} ended ${done.type} at ${done.time}ms\n${h}`);
  }
  const open = h.ops.filter((o) => o.type === "invoke").length - h.pairs().length;
  if (open > 0) fail(`${what}: ${open} operation(s) never completed\n${h}`);
}

/** No message (by key) is received twice by the sockets of `node` (e.g. a reply per request). */
export function atMostOnce(trace: Trace, node: string): void {
  const seen = new Map<string, number>();
  for (const e of trace.of("recv")) {
    if (e.node !== node) continue;
    if (seen.has(e.key)) fail(`${node} received ${JSON.stringify(e.key)} twice (at ${seen.get(e.key)}ms and ${e.t}ms)`);
    seen.set(e.key, e.t);
  }
}

/** What `to` received from `from` came in the order `from` sent it (gaps allowed, no reordering). */
export function fifo(trace: Trace, o: { from: string; to: string }): void {
  // a key sent more than once (a retry) matches its first sending after the last one matched
  const sends = new Map<string, number[]>();
  trace.sent(o.from).forEach((k, i) => {
    const l = sends.get(k);
    if (l === undefined) sends.set(k, [i]);
    else l.push(i);
  });
  let last = -1;
  let lastKey = "";
  for (const k of trace.received(o.to)) {
    const l = sends.get(k);
    if (l === undefined) continue;
    const i = l.find((x) => x > last);
    if (i === undefined) fail(`${o.to} received ${JSON.stringify(k)} after ${JSON.stringify(lastKey)}, though ${o.from} sent it first`);
    last = i;
    lastKey = k;
  }
}

/** Every message `from` sent that `to` did not receive has a recorded
 * reason (HWM, unsubscribed, unroutable, disconnect, partition, killed).
 * `until`: only messages sent before this time (default: all). Returns the fates. */
export function gapsExplained(trace: Trace, o: { from: string; to: string; until?: number }): Map<string, Fate> {
  const out = new Map<string, Fate>();
  const sends = trace.of("send").filter((e) => e.node === o.from && (o.until === undefined || e.t < o.until));
  for (const s of sends) {
    const f = trace.fate(s.key, { to: o.to });
    out.set(s.key, f);
    if (f.status === "pending") fail(`${JSON.stringify(s.key)} sent by ${o.from} at ${s.t}ms never reached ${o.to}, and nothing explains it`);
  }
  return out;
}

/** Each number is larger than the one before. */
export function strictlyIncreasing(xs: readonly number[], what = "sequence"): void {
  for (let i = 1; i < xs.length; i++) if (!(xs[i]! > xs[i - 1]!)) fail(`${what} not strictly increasing at ${i}: ${xs[i - 1]} then ${xs[i]} (${xs.slice(Math.max(0, i - 3), i + 3).join(", ")})`);
}

/** After heal(), `cond` holds within `within` virtual ms (a liveness check). */
export async function converges(sim: Simulation, cond: () => boolean, within: number, what = "the system"): Promise<void> {
  try {
    await sim.until(cond, within);
  } catch {
    fail(`${what} did not converge within ${within}ms of virtual time`);
  }
}

export const check = { allOk, everyOk, atMostOnce, fifo, gapsExplained, strictlyIncreasing, converges };
