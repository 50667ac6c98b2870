// Time and chance as omq sees them. Everything omq schedules (heartbeats,
// reconnect intervals and their jitter, handshake/connect timeouts,
// send/receive timeouts, linger) and every id it draws goes through the
// Clock of the socket's Context, so a simulation (omq/testing) can run the
// real library in virtual time with a seeded random source, without patching
// the global timers. The system clock is Node's timers and Math.random.

/** A scheduled callback. Node's Timeout fits; a virtual clock returns its own. */
export interface Timer {
  /** Do not keep the process alive for this timer (no-op in virtual time). */
  unref(): unknown;
}

export interface Clock {
  /** True for wall-clock time: busy polling (spinning on the event loop for
   * real microseconds) only means something there. */
  readonly realTime: boolean;
  /** Milliseconds, monotonic. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(t: Timer | undefined): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(t: Timer | undefined): void;
  /** Uniform in [0, 1), as Math.random. */
  random(): number;
}

export const systemClock: Clock = {
  realTime: true,
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout> | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (t) => clearInterval(t as ReturnType<typeof setInterval> | undefined),
  random: () => Math.random(),
};
