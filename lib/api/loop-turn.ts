// An `await` loop of send()/receive() calls that complete at once runs in
// microtasks only: timers and I/O would never run (zeromq.js avoids it by
// delaying every 512th such call of a socket). omq looks every CHECK_EVERY
// such calls of a socket at a probe, one setImmediate at a time: when the
// probe has waited 10 ms (a send) or 20 ms (a receive) without running, the
// loop is starved, and that call resolves after a turn. A loop that turns by
// itself never pays for one.
//
// Why not zeromq.js's count: a turn lets every other microtask run first, so
// a receiver that stops for one lets its sender fill the queue, and the two
// then go on a whole queue apart, ~15% slower than in step (measured on
// inproc 16 B, where one turn per millisecond cost that much). A sender's
// turn lets its receiver drain the queue instead, which keeps them in step;
// so senders turn first, and a receiver only when no sender has for twice as
// long (a loop that only receives).
export const CHECK_EVERY = 256;
export const SEND_TURN_MS = 10;
export const RECEIVE_TURN_MS = 20;
const now = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();
/** A probe (one setImmediate at a time) tells whether the loop turns by
 * itself: a call is made to give a turn only when the probe has waited `ms`
 * without running, so a loop that turns on its own never pays for one. */
let probing = false;
let probeSince = 0;
const probe = (): void => {
  probing = false;
};

/** Whether the call being resolved now must wait for a turn of the loop,
 * `ms` being how long the loop may go without one. */
export function turnDue(ms: number): boolean {
  const t = now();
  if (!probing) {
    probing = true;
    probeSince = t;
    setImmediate(probe);
    return false;
  }
  if (t - probeSince < ms) return false;
  // the turn given now runs the probe too
  probeSince = t;
  return true;
}

/** `v`, after a turn of the event loop. */
export function afterTurn<V>(v: V): Promise<V> {
  return new Promise<V>((r) => setImmediate(r, v));
}

/** With no HWM, sends resolved without a turn before one yields. */
const YIELD_EVERY_UNBOUNDED = 1000;

/** A type that drops at the HWM yields before a pipe can reach it: the
 * engines empty their pipes on each turn, so a sender that yields at 90% of
 * the HWM drops nothing while the network keeps up, and batches stay large. */
export function yieldEvery(hwm: number): number {
  return hwm > 0 ? Math.max(1, Math.floor(hwm * 0.9)) : YIELD_EVERY_UNBOUNDED;
}
