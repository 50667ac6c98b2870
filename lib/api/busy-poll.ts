// Busy polling. While a caller awaits a socket, the event loop keeps turning
// (a chain of setImmediate, so libuv polls the sockets without blocking)
// instead of letting the process sleep in epoll. Waking a sleeping process
// costs far more than the message itself: on this project's 2-vCPU VM a tcp
// REQ/REP round trip is ~88 µs when both ends sleep between messages and
// ~13 µs when they poll (README "Busy polling"). The kernel's SO_BUSY_POLL
// (libzmq's ZMQ_BUSY_POLL) works on the same cost one layer down.
//
// The socket option busyPoll picks the window: a number of µs (fixed), 0
// (never), or -1, the default: adaptive. An adaptive socket measures its
// waits (an average that follows the recent ones) and spins up to 4x that,
// at least FLOOR_US and at most CAP_US; a socket whose waits are longer than
// CAP_US (a REQ on a slow server, a bulk sender) does not spin at all, since
// the wake-up is then a small part of the wait. With any window:
// - the spin stops as soon as no joined socket has a wait pending, so a
//   served wait costs no more than itself;
// - a spin that ends without serving any of a socket's waits makes its next
//   waits skip spinning, 1, 2, 4 ... up to MAX_SKIP of them, so a socket
//   nobody talks to costs one window now and then, not a core; one served
//   wait resets the backoff, and so does a wait that ends within CAP_US (or
//   the window, if longer) after a spin missed it: a late peer is no idle one.
// - while the machine is crowded (crowding.ts: this thread kept waiting for
//   a core, as the kernel's schedstat counts it), no socket spins for a
//   pause, extended while a look at its end still finds it crowded; after a
//   first crowded look, spins are cut short until the pause or a clear look.
// One spinner serves the whole process. Each of its turns also runs the spin
// probes (lib/core/spin-probes.ts): sleepers whose wake-up is not a file
// descriptor libuv polls, such as pipes to other threads.

import { beginProbing, endProbing, runSpinProbes } from "../core/spin-probes.js";
import { CrowdingDetector, crowdingSignal } from "./crowding.js";

const MAX_SKIP = 256;
/** Adaptive windows, µs. The floor covers a loopback round trip with room
 * for the tail; past the cap, spinning costs more than the wake-up it saves. */
export const FLOOR_US = 200;
export const CAP_US = 1000;
/** The average follows new waits with this weight (1/8, as TCP's SRTT). */
const GAIN = 1 / 8;


/** One socket's share: its backoff, its waits, and whether it takes part in the current spin. */
export class BusyPoller {
  backoff = 0;
  skip = 0;
  /** Joined the current spin; served: one of its waits ended during it. */
  joined = false;
  served = false;
  /** Waits begun and not ended. */
  pending = 0;
  /** Average length of recent waits, µs (0: none yet). */
  typical = 0;
  /** The busyPoll setting of the latest wait. */
  private setting = -1;

  /** The spin window for a busyPoll setting (µs; 0: no spin). */
  windowFor(busyPoll: number): number {
    if (busyPoll >= 0) return busyPoll;
    if (this.typical > CAP_US) return 0;
    return Math.min(CAP_US, Math.max(FLOOR_US, 4 * this.typical));
  }

  /** A caller starts waiting on the socket; returns the time it began (for waitEnds). */
  waitBegins(busyPoll: number): number {
    const now = performance.now();
    this.pending++;
    this.setting = busyPoll;
    const us = this.windowFor(busyPoll);
    if (us <= 0 || crowding?.quiet(now)) return now;
    if (this.skip > 0) {
      this.skip--;
      return now;
    }
    if (!this.joined) {
      this.joined = true;
      this.served = false;
      members.push(this);
    }
    const d = now + us / 1000;
    if (d > until) until = d;
    if (!spinning) {
      spinning = true;
      spinStart = now;
      setImmediate(turn);
      beginProbing();
    }
    return now;
  }

  /** A waiting caller was served (or gave up); `since` is what waitBegins returned. */
  waitEnds(since: number): void {
    if (this.pending > 0) this.pending--;
    const us = (performance.now() - since) * 1000;
    if (this.joined) this.served = true;
    else if (this.backoff > 0 && us <= Math.max(CAP_US, this.setting)) {
      // served soon after a spin gave up, or while skipping: the peer is
      // there, only slower this once (a GC, a wake-up). Backing off now would
      // make both ends sleep, each wait then outlasting the other's window.
      this.backoff = 0;
      this.skip = 0;
    }
    this.typical = this.typical === 0 ? us : this.typical + (us - this.typical) * GAIN;
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
/** When the current spin began (performance.now() ms). */
let spinStart = 0;
const members: BusyPoller[] = [];
/** Pauses every spin while the machine is crowded (crowding.ts); none off Linux. */
const signal = crowdingSignal();
const crowding = signal === undefined ? undefined : new CrowdingDetector(signal);

function turn(): void {
  // a probe that throws must not leave the spinner thinking it still turns
  try {
    runSpinProbes();
  } finally {
    const now = performance.now();
    if (now < until && members.some((p) => p.pending > 0) && !crowding?.turn(now, now - spinStart)) setImmediate(turn);
    else stop();
  }
}

function stop(): void {
  spinning = false;
  until = 0;
  endProbing();
  for (const p of members) p.settle();
  members.length = 0;
}

/** Whether the event loop is being kept busy (diagnostics.ts). */
export function isSpinning(): boolean {
  return spinning;
}
