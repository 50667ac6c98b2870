// What a busy-polling event loop looks at on each of its turns, besides
// libuv's own poll. A pipe whose other end is another thread sleeps on
// Atomics.waitAsync, and its wake-up is a task posted across threads (the
// waker's Atomics.notify takes a lock and writes an eventfd; the sleeper's
// loop then runs the task): ~10 µs a hop on this project's VM, more under
// load. While the loop spins anyway, a sleeper can stop asking to be rung and
// let each turn look at the pipe's counters instead (busy-poll.ts drives this).

export interface SpinProbe {
  /** A spin begins: the turns will look, so the peer need not ring. */
  spinStarts(): void;
  /** One turn: look whether what this sleeper waits for has come; act if so. */
  probe(): void;
  /** The spin is over: ask to be rung again. */
  spinEnds(): void;
}

const probes = new Set<SpinProbe>();
let active = false;

/** Whether a spin is on: a turn (or its end) is still to come. */
export function spinActive(): boolean {
  return active;
}

export function addSpinProbe(p: SpinProbe): void {
  probes.add(p);
}

export function removeSpinProbe(p: SpinProbe): void {
  probes.delete(p);
}

export function beginProbing(): void {
  active = true;
  for (const p of probes) p.spinStarts();
}

/** Each probe once: one that is served and sleeps again is re-added at the
 * Set's end, and a turn must not keep coming back to it. */
export function runSpinProbes(): void {
  let n = probes.size;
  if (n === 0) return;
  for (const p of probes) {
    if (n-- === 0) break;
    p.probe();
  }
}

export function endProbing(): void {
  active = false;
  for (const p of probes) p.spinEnds();
}
