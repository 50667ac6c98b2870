// Whether the machine runs more threads than it has cores, seen from a spin.
// Busy polling pays only while each end has a core. On this project's 2-core
// VM with a third busy process, two spinning ends hold the cores the others
// need, and every round trip then waits for time slices: REQ/REP p99 555-679
// µs spinning against 135-161 µs not spinning at all, and worse still once
// waits stop backing off (p70 1.1 ms). Gaps in the spinner's own turns do not
// tell that apart from an unloaded machine here (V8's helper threads make as
// many), but the kernel's runnable count does: above the cores for three
// samples in a row (25 ms apart, spinning only) pauses every spin of the
// process, longer each time it is found again soon after a pause, so a
// crowded machine costs a few probes, not its tail. Between the first crowded
// sample and the pause (or the next clear sample), a spin stops once it has
// lasted SUSPECT_SPIN_MS, so the looks before a pause hold a core for less
// (bench, loaded REQ/REP p99 in four sets: 129/131/128/143 µs against
// 237/273/179 without this), and a false alarm on an unloaded machine only
// shortens spins that a loopback round trip rarely outlasts (README, Busy
// polling: what the unloaded tail pays).

/** Look at the machine's runnable count at most this often while spinning (ms). */
const SAMPLE_MS = 25;
/** This many samples in a row with more runnable threads than cores mean crowded. */
const HITS = 3;
/** Spinning pauses this long (ms), doubled while found again within RECENT_MS of a pause's end. */
export const PAUSE_MIN_MS = 250;
export const PAUSE_MAX_MS = 4000;
const RECENT_MS = 1000;
/** While a crowded sample is the latest, a spin stops after this long (ms). */
export const SUSPECT_SPIN_MS = 0.05;

export class CrowdingDetector {
  private sampleAt = -Infinity;
  private hits = 0;
  private quietUntil = 0;
  /** The latest pause (ms); 0 before the first. */
  pause = 0;

  /** @param crowded whether more threads are runnable now than there are cores */
  constructor(private readonly crowded: () => boolean) {}

  /** One spin turn at `now` (ms), the spin having lasted `spunMs`; true when
   * spinning should stop now. */
  turn(now: number, spunMs = 0): boolean {
    if (now - this.sampleAt >= SAMPLE_MS) {
      this.sampleAt = now;
      if (!this.crowded()) this.hits = 0;
      else if (++this.hits >= HITS) {
        this.hits = 0;
        const again = this.pause > 0 && now - this.quietUntil < RECENT_MS;
        this.pause = again ? Math.min(this.pause * 2, PAUSE_MAX_MS) : PAUSE_MIN_MS;
        this.quietUntil = now + this.pause;
        return true;
      }
    }
    return this.hits > 0 && spunMs > SUSPECT_SPIN_MS;
  }

  /** Spinning is paused at `now` (ms). */
  quiet(now: number): boolean {
    return now < this.quietUntil;
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

/** Linux: the kernel's count of runnable threads (/proc/loadavg, 4th field,
 * the spinning ends included) against the cores; elsewhere unknown. */
export function runnableOverCores(): (() => boolean) | undefined {
  type P = { platform?: string; getBuiltinModule?: (id: string) => unknown };
  const p = (globalThis as { process?: P }).process;
  if (p?.platform !== "linux" || typeof p.getBuiltinModule !== "function") return undefined;
  const fs = p.getBuiltinModule("node:fs") as typeof import("node:fs");
  const os = p.getBuiltinModule("node:os") as typeof import("node:os");
  let cores = 0;
  const buf = new Uint8Array(128);
  // opened at the first look, kept: one read per sample, no open/close
  let fd: number | undefined;
  return () => {
    try {
      if (fd === undefined) {
        cores = os.cpus().length;
        fd = fs.openSync("/proc/loadavg", "r");
      }
      return runnableIn(buf, fs.readSync(fd, buf, 0, buf.length, 0)) > cores;
    } catch {
      return false;
    }
  };
}
