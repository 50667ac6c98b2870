// The crowding detector that pauses busy polling (lib/api/crowding.ts), fed
// a scripted signal and scripted times, and the readers of its live signal.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CrowdingDetector,
  EXTEND_MS,
  PAUSE_MAX_MS,
  PAUSE_MIN_MS,
  SUSPECT_SPIN_MS,
  WAIT_SHARE,
  crowdingSignal,
  keptFromCore,
  runnableIn,
  schedstatIn,
} from "../../lib/api/crowding.js";

const T = 5000;

/** A detector whose spinning looks answer `answers` in turn and whose looks
 * at a pause's end answer `afterPause` in turn (none: it cannot tell); counts both. */
function scripted(answers: boolean[], afterPause?: boolean[]) {
  let looks = 0;
  let ends = 0;
  const signal = { look: () => answers[looks++] ?? false, ...(afterPause ? { lookAfterPause: () => afterPause[ends++] ?? false } : {}) };
  const d = new CrowdingDetector(signal);
  return { d, looks: () => looks, ends: () => ends };
}

describe("crowding", () => {
  it("an uncrowded machine never pauses spinning, and is looked at once per 25 ms of turns", () => {
    const { d, looks } = scripted([]);
    for (let t = 0; t < 1000; t += 0.01) expect(d.turn(t)).toBe(false);
    expect(looks()).toBe(40);
    expect(d.quiet(1000)).toBe(false);
  }, T);

  it("two crowded looks in a row pause spinning for PAUSE_MIN_MS; one clear look between them does not", () => {
    const a = scripted([true, false, true, false, true]);
    expect([0, 25, 50, 75, 100].map((t) => a.d.turn(t))).toEqual([false, false, false, false, false]);
    expect(a.d.quiet(101)).toBe(false);
    const b = scripted([true, true]);
    expect([0, 25].map((t) => b.d.turn(t))).toEqual([false, true]);
    expect(b.d.pause).toBe(PAUSE_MIN_MS);
    expect(b.d.quiet(25 + PAUSE_MIN_MS - 1)).toBe(true);
    expect(b.d.quiet(25 + PAUSE_MIN_MS)).toBe(false);
  }, T);

  it("found crowded again soon after a pause, the pause doubles up to its cap; found again much later, it starts over", () => {
    const { d } = scripted(Array(100).fill(true));
    let t = 0;
    const pauses: number[] = [];
    for (let round = 0; round < 7; round++) {
      while (!d.turn(t)) t += 25;
      pauses.push(d.pause);
      t += d.pause; // the pause passes; spinning comes back at once
      expect(d.quiet(t)).toBe(false);
    }
    const doubling = [0, 1, 2, 3, 4, 5, 6].map((k) => Math.min(PAUSE_MIN_MS * 2 ** k, PAUSE_MAX_MS));
    expect(pauses).toEqual(doubling);
    expect(pauses.at(-1)).toBe(PAUSE_MAX_MS);
    t += 5000; // a long uncrowded stretch
    while (!d.turn(t)) t += 25;
    expect(d.pause).toBe(PAUSE_MIN_MS);
  }, T);

  it("after a crowded look, spins are cut short until a clear look: long spins stop, short ones go on", () => {
    const short = SUSPECT_SPIN_MS * 0.8;
    const long = SUSPECT_SPIN_MS * 1.2;
    // the look at t=0 is crowded (the first sample of this script)
    const a = scripted([true, false]);
    expect(a.d.turn(0, short)).toBe(false);
    expect(a.d.turn(1, short)).toBe(false);
    expect(a.d.turn(2, long)).toBe(true);
    expect(a.d.quiet(3)).toBe(false); // cut short, not paused
    expect(a.d.turn(20, long)).toBe(true);
    // the next look (25 ms later) is clear: long spins go on again
    expect(a.d.turn(25, long)).toBe(false);
    expect(a.d.turn(30, 10 * long)).toBe(false);
    // an uncrowded machine never cuts a spin short
    const u = scripted([]);
    for (let t = 0; t < 200; t += 1) expect(u.d.turn(t, 1000)).toBe(false);
  }, T);

  it("a pause still crowded at its end goes on without a spin, looked at every EXTEND_MS until clear", () => {
    const { d, looks, ends } = scripted([true, true], [true, true, false]);
    expect([0, 25].map((t) => d.turn(t))).toEqual([false, true]);
    const end = 25 + PAUSE_MIN_MS;
    // before the end, quiet() answers without a look
    for (let t = 26; t < end; t += 7) expect(d.quiet(t)).toBe(true);
    expect(ends()).toBe(0);
    expect(d.quiet(end)).toBe(true); // looked: still crowded
    expect(ends()).toBe(1);
    expect(d.quiet(end + EXTEND_MS - 1)).toBe(true);
    expect(ends()).toBe(1);
    expect(d.quiet(end + EXTEND_MS)).toBe(true); // crowded again
    expect(d.quiet(end + 2 * EXTEND_MS)).toBe(false); // clear: spin again
    expect(d.quiet(end + 2 * EXTEND_MS + 1)).toBe(false);
    expect(ends()).toBe(3);
    // no spinning look was taken while paused, and the next comes SAMPLE_MS on
    expect(looks()).toBe(2);
    expect(d.turn(end + 2 * EXTEND_MS + 1)).toBe(false);
    expect(looks()).toBe(2);
    expect(d.turn(end + 2 * EXTEND_MS + 25)).toBe(false);
    expect(looks()).toBe(3);
  }, T);

  it("a signal that cannot look at a pause's end lets every pause simply end", () => {
    const { d } = scripted([true, true]);
    expect([0, 25].map((t) => d.turn(t))).toEqual([false, true]);
    expect(d.quiet(25 + PAUSE_MIN_MS - 1)).toBe(true);
    expect(d.quiet(25 + PAUSE_MIN_MS)).toBe(false);
  }, T);

  it("reads a thread's run and run-queue wait times from schedstat's text, and judges the share waited", () => {
    const t: [number, number] = [0, 0];
    const read = (s: string) => schedstatIn(Buffer.from(s), s.length, t);
    expect(read("123456789012 3456789 1042\n")).toBe(true);
    expect(t).toEqual([123456789012, 3456789]);
    expect(read("")).toBe(false);
    expect(read("12")).toBe(false);
    expect(read("x 1 2")).toBe(false);
    expect(keptFromCore(0, 0)).toBe(false);
    expect(keptFromCore(WAIT_SHARE * 1e6, (1 - WAIT_SHARE) * 1e6)).toBe(true);
    expect(keptFromCore(WAIT_SHARE * 1e6 - 1, (1 - WAIT_SHARE) * 1e6 + 1)).toBe(false);
    expect(keptFromCore(4e6, 1e6)).toBe(true);
    expect(keptFromCore(0.1e6, 25e6)).toBe(false);
  }, T);

  it("reads the runnable count from /proc/loadavg's text", () => {
    const at = (s: string) => runnableIn(Buffer.from(s), s.length);
    expect(at("0.52 0.58 0.59 3/180 12345\n")).toBe(3);
    expect(at("12.00 9.10 4.20 17/2048 99\n")).toBe(17);
    expect(at("")).toBe(0);
  }, T);

  it("on Linux the live signal looks at this thread's schedstat (or the runnable count without it)", () => {
    if (!existsSync("/proc/loadavg")) {
      console.log("crowding: no /proc/loadavg on this host; the live signal is not checked");
      expect(crowdingSignal()).toBeUndefined();
      return;
    }
    const signal = crowdingSignal()!;
    expect(signal.look()).toBe(false); // the first look only starts the count
    expect(typeof signal.look()).toBe("boolean");
    if (existsSync("/proc/thread-self/schedstat")) {
      expect(typeof signal.lookAfterPause?.()).toBe("boolean");
      const t: [number, number] = [0, 0];
      const text = readFileSync("/proc/thread-self/schedstat", "utf8");
      expect(schedstatIn(Buffer.from(text), text.length, t)).toBe(true);
      expect(t[0]).toBeGreaterThan(0); // this thread has run
    } else console.log("crowding: no /proc/thread-self/schedstat on this host; the runnable count decides");
    const text = readFileSync("/proc/loadavg", "utf8");
    expect(runnableIn(Buffer.from(text), text.length)).toBeGreaterThanOrEqual(1); // this test runs
  }, T);
});
