// Busy polling. While a caller awaits a socket, the event loop keeps turning
// (a chain of setImmediate, so libuv polls the sockets without blocking) for a
// short window before the process may sleep in epoll. Waking a sleeping
// process costs far more than the message itself: on this project's 2-vCPU VM
// a tcp round trip is ~85 µs when both ends sleep between messages and ~15 µs
// when they poll (README "Busy polling"). The kernel's SO_BUSY_POLL (libzmq's
// ZMQ_BUSY_POLL) works on the same cost one layer down.
//
// The window is the socket option busyPoll (µs; 0 = never). It adapts per
// socket: a spin that ends without serving any of the socket's waits makes
// its next waits skip spinning, 1, 2, 4 ... up to MAX_SKIP of them, so a
// socket nobody talks to costs one window now and then, not a core, and a
// bulk sender whose waits are long does not spin for nothing; one served wait
// resets the backoff. One spinner serves the whole process.

const MAX_SKIP = 256;

/** One socket's share: its backoff, and whether it takes part in the current spin. */
export class BusyPoller {
  backoff = 0;
  skip = 0;
  /** Joined the current spin; served: one of its waits ended during it. */
  joined = false;
  served = false;

  /** A caller starts waiting on the socket; `us` is its busyPoll window. */
  waitBegins(us: number): void {
    if (us <= 0) return;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    if (!this.joined) {
      this.joined = true;
      this.served = false;
      members.push(this);
    }
    const d = performance.now() + us / 1000;
    if (d > until) until = d;
    if (!spinning) {
      spinning = true;
      setImmediate(turn);
    }
  }

  /** A waiting caller was served (or gave up). */
  waitEnds(): void {
    if (this.joined) this.served = true;
  }

  /** The spin this poller joined is over. */
  settle(): void {
    this.joined = false;
    if (this.served) this.backoff = 0;
    else {
      this.backoff = this.backoff === 0 ? 1 : Math.min(this.backoff * 2, MAX_SKIP);
      this.skip = this.backoff;
    }
  }
}

/** Deadline of the current spin (performance.now() ms). */
let until = 0;
let spinning = false;
const members: BusyPoller[] = [];

function turn(): void {
  if (performance.now() < until) {
    setImmediate(turn);
    return;
  }
  spinning = false;
  for (const p of members) p.settle();
  members.length = 0;
}

/** Whether the event loop is being kept busy (diagnostics.ts). */
export function isSpinning(): boolean {
  return spinning;
}
