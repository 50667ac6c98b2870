// Whether the machine runs more threads than it has cores, seen from a spin.
// Busy polling pays only while each end has a core. On this project's 2-core
// VM with a third busy process, two spinning ends hold the cores the others
// need, and every round trip then waits for time slices: REQ/REP p99 555-679
// µs spinning against 135-161 µs not spinning at all. Gaps in the spinner's
// own turns do not tell that apart from an unloaded machine here (V8's helper
// threads make as many); the kernel does. On Linux a look asks how long this
// thread waited on the run queue against how long it ran since the previous
// look (/proc/thread-self/schedstat): a share of WAIT_SHARE or more is a
// thread kept from a core. Two such looks in a row (25 ms apart, spinning
// only) pause every spin of the process; a look at the pause's end, over the
// pause (the thread not spinning then, and the share as telling), extends it
// by EXTEND_MS at a time, so a machine crowded for good costs its first 25 ms
// of spins and nothing after. Found crowded again soon after a pause ended, the
// pause doubles too. Between the first crowded look and the pause (or the
// next clear look), a spin stops once it has lasted SUSPECT_SPIN_MS, so the
// looks before a pause hold a core for less. Without schedstat, a look counts
// runnable threads against the cores (/proc/loadavg), which rises above them
// now and then on an unloaded machine too, and tells nothing once the thread
// stops spinning: a pause then simply ends.

/** Look at the machine at most this often while spinning (ms). */
const SAMPLE_MS = 25;
/** This many crowded looks in a row pause spinning. */
const HITS = 2;
/** Spinning pauses this long (ms), doubled while found again within RECENT_MS of a pause's end. */
export const PAUSE_MIN_MS = 100;
/** A pause found still crowded at its end goes on this much longer (ms). */
export const EXTEND_MS = 100;
export const PAUSE_MAX_MS = 4000;
const RECENT_MS = 1000;
/** While a crowded sample is the latest, a spin stops after this long (ms). */
export const SUSPECT_SPIN_MS = 0.05;

/** How a detector looks at the machine. */
export interface CrowdingSignal {
  /** From a spin: whether this thread was kept from a core since the previous look. */
  look(): boolean;
  /** At a pause's end: the same over the pause, the thread not spinning
   * through it; absent when only a spinning look can tell. */
  lookAfterPause?: () => boolean;
}

export class CrowdingDetector {
  private sampleAt = -Infinity;
  private hits = 0;
  private quietUntil = 0;
  /** A pause is running whose end has not been looked at yet. */
  private paused = false;
  /** The latest pause (ms); 0 before the first. */
  pause = 0;

  constructor(private readonly signal: CrowdingSignal) {}

  /** One spin turn at `now` (ms), the spin having lasted `spunMs`; true when
   * spinning should stop now. */
  turn(now: number, spunMs = 0): boolean {
    if (now - this.sampleAt >= SAMPLE_MS) {
      this.sampleAt = now;
      if (!this.signal.look()) this.hits = 0;
      else if (++this.hits >= HITS) {
        this.hits = 0;
        const again = this.pause > 0 && now - this.quietUntil < RECENT_MS;
        this.pauseFor(now, again ? Math.min(this.pause * 2, PAUSE_MAX_MS) : PAUSE_MIN_MS);
        return true;
      }
    }
    return this.hits > 0 && spunMs > SUSPECT_SPIN_MS;
  }

  /** Spinning is paused at `now` (ms). The first call after a pause ends
   * looks over it and may extend it. */
  quiet(now: number): boolean {
    if (now < this.quietUntil) return true;
    if (!this.paused) return false;
    this.paused = false;
    // the next spinning look comes a whole SAMPLE_MS after this one
    this.sampleAt = now;
    if (this.signal.lookAfterPause?.() !== true) return false;
    // still crowded: look again a short while on (a look costs a read, not a
    // spin), so a crowding that passes, such as both ends' JIT compiling at
    // start-up, ends the pause soon after it does
    this.quietUntil = now + EXTEND_MS;
    this.paused = true;
    return true;
  }

  private pauseFor(now: number, ms: number): void {
    this.pause = ms;
    this.quietUntil = now + ms;
    this.paused = true;
    this.sampleAt = now;
  }
}

/** The runnable count in /proc/loadavg's text ("0.52 0.58 0.59 3/180 12345": 3). */
export function runnableIn(buf: Uint8Array, n: number): number {
  let i = 0;
  for (let spaces = 0; i < n && spaces < 3; i++) if (buf[i] === 0x20) spaces++;
  let running = 0;
  for (; i < n && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) running = running * 10 + buf[i]! - 0x30;
  return running;
}

/** A thread that waited for a core this share of the time it wanted one
 * (waiting + running) since the previous look is being kept from one.
 * Measured on this project's 2-core VM, REQ/REP tcp: per 25 ms look from two
 * spinning processes, median 0.2-0.6% and p90 1-4% unloaded, median 43-48%
 * with a third busy process; over 1.5 s of round trips not spinning, 8-12%
 * unloaded and 31-46% with the busy process. */
export const WAIT_SHARE = 0.2;

/** Whether `waitedNs` of a thread's `waitedNs + ranNs` is WAIT_SHARE or more. */
export function keptFromCore(waitedNs: number, ranNs: number): boolean {
  const wanted = waitedNs + ranNs;
  return wanted > 0 && waitedNs >= WAIT_SHARE * wanted;
}

/** The first two numbers of /proc/thread-self/schedstat's text ("812 34 5":
 * ns run, ns waited on a run queue) into `out`; false if not there. */
export function schedstatIn(buf: Uint8Array, n: number, out: [number, number]): boolean {
  let i = 0;
  for (let k = 0; k < 2; k++) {
    if (i >= n || buf[i]! < 0x30 || buf[i]! > 0x39) return false;
    let v = 0;
    for (; i < n && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) v = v * 10 + buf[i]! - 0x30;
    out[k] = v;
    i++;
  }
  return true;
}

/** Linux: how long the looking thread waited for a core against how long it
 * ran since the previous look (/proc/thread-self/schedstat: a worker measures
 * itself), or, without schedstat, the kernel's runnable count (/proc/loadavg,
 * 4th field, the spinning ends included) against the cores; elsewhere
 * undefined. A first schedstat look only starts the count. */
export function crowdingSignal(): CrowdingSignal | undefined {
  type P = { platform?: string; getBuiltinModule?: (id: string) => unknown };
  const p = (globalThis as { process?: P }).process;
  if (p?.platform !== "linux" || typeof p.getBuiltinModule !== "function") return undefined;
  const fs = p.getBuiltinModule("node:fs") as typeof import("node:fs");
  const os = p.getBuiltinModule("node:os") as typeof import("node:os");
  const buf = new Uint8Array(128);
  const times: [number, number] = [0, 0];
  // opened at the first look, kept: one read per look, no open/close
  let fd: number | undefined;
  let schedstat = false;
  let cores = 0;
  let ran = -1;
  let waited = 0;
  const open = (): void => {
    try {
      fd = fs.openSync("/proc/thread-self/schedstat", "r");
      schedstat = schedstatIn(buf, fs.readSync(fd, buf, 0, buf.length, 0), times);
    } catch {
      schedstat = false;
    }
    if (!schedstat) {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
      cores = os.cpus().length;
      fd = fs.openSync("/proc/loadavg", "r");
    }
  };
  const look = (): boolean => {
    try {
      if (fd === undefined) open();
      if (!schedstat) return runnableIn(buf, fs.readSync(fd!, buf, 0, buf.length, 0)) > cores;
      if (!schedstatIn(buf, fs.readSync(fd!, buf, 0, buf.length, 0), times)) return false;
      const first = ran < 0;
      const r = times[0] - ran;
      const w = times[1] - waited;
      ran = times[0];
      waited = times[1];
      return !first && keptFromCore(w, r);
    } catch {
      return false;
    }
  };
  // a look at a pause's end tells something only from schedstat
  return { look, lookAfterPause: () => schedstat && look() };
}
