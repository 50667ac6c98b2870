// Busy polling. While a caller awaits a socket, the event loop keeps turning
// (a chain of setImmediate, so libuv polls the sockets without blocking) for a
// short window before the process may sleep in epoll. Waking a sleeping
// process costs far more than the message itself: on this project's 2-vCPU VM
// a tcp round trip is ~85 µs when both ends sleep between messages and ~12 µs
// when they poll (bench/README.md). The kernel's SO_BUSY_POLL (libzmq's
// ZMQ_BUSY_POLL) works on the same cost one layer down.
//
// The window is the socket option busyPoll (µs; 0 = never). It is adaptive:
// a spin that ends without serving any wait makes the next waits skip spinning,
// 1, 2, 4 ... up to MAX_SKIP of them, so a socket nobody talks to costs one
// window now and then, not a core; one served wait resets the backoff.
// One spinner serves the whole process, however many sockets wait.

const MAX_SKIP = 256;

/** Deadline of the current spin (performance.now() ms). */
let until = 0;
let spinning = false;
/** A wait ended while this spin ran. */
let served = false;
let backoff = 0;
let skip = 0;

/** A caller starts waiting on a socket whose busyPoll window is `us`. */
export function waitBegins(us: number): void {
  if (us <= 0) return;
  if (skip > 0) {
    skip--;
    return;
  }
  const d = performance.now() + us / 1000;
  if (d > until) until = d;
  if (!spinning) {
    spinning = true;
    served = false;
    setImmediate(turn);
  }
}

/** A waiting caller was served (or gave up). */
export function waitEnds(): void {
  if (spinning) served = true;
}

function turn(): void {
  if (performance.now() < until) {
    setImmediate(turn);
    return;
  }
  spinning = false;
  if (served) backoff = 0;
  else {
    backoff = backoff === 0 ? 1 : Math.min(backoff * 2, MAX_SKIP);
    skip = backoff;
  }
}

/** @internal For tests: the spinner's state. */
export function busyPollState(): { spinning: boolean; skip: number; backoff: number } {
  return { spinning, skip, backoff };
}
