// The crowding detector that pauses busy polling (lib/api/crowding.ts), fed
// a scripted runnable-count signal and scripted times.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CrowdingDetector, PAUSE_MAX_MS, PAUSE_MIN_MS, SUSPECT_SPIN_MS, runnableIn, runnableOverCores } from "../../lib/api/crowding.js";

const T = 5000;

/** A detector whose signal comes from `answers`, one per look; counts the looks. */
function scripted(answers: boolean[]) {
  let looks = 0;
  const d = new CrowdingDetector(() => answers[looks++] ?? false);
  return { d, looks: () => looks };
}

describe("crowding", () => {
  it("an uncrowded machine never pauses spinning, and is looked at once per 25 ms of turns", () => {
    const { d, looks } = scripted([]);
    for (let t = 0; t < 1000; t += 0.01) expect(d.turn(t)).toBe(false);
    expect(looks()).toBe(40);
    expect(d.quiet(1000)).toBe(false);
  }, T);

  it("three crowded looks in a row pause spinning for 250 ms; one clear look between them does not", () => {
    const a = scripted([true, true, false, true, true]);
    expect([0, 25, 50, 75, 100].map((t) => a.d.turn(t))).toEqual([false, false, false, false, false]);
    expect(a.d.quiet(101)).toBe(false);
    const b = scripted([true, true, true]);
    expect([0, 25, 50].map((t) => b.d.turn(t))).toEqual([false, false, true]);
    expect(b.d.pause).toBe(PAUSE_MIN_MS);
    expect(b.d.quiet(50 + PAUSE_MIN_MS - 1)).toBe(true);
    expect(b.d.quiet(50 + PAUSE_MIN_MS)).toBe(false);
  }, T);

  it("found crowded again soon after a pause, the pause doubles up to its cap; found again much later, it starts over", () => {
    const { d } = scripted(Array(100).fill(true));
    let t = 0;
    const pauses: number[] = [];
    for (let round = 0; round < 7; round++) {
      while (!d.turn(t)) t += 25;
      pauses.push(d.pause);
      t += d.pause; // the pause passes; spinning comes back at once
    }
    expect(pauses).toEqual([250, 500, 1000, 2000, 4000, PAUSE_MAX_MS, PAUSE_MAX_MS]);
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

  it("reads the runnable count from /proc/loadavg's text", () => {
    const at = (s: string) => runnableIn(Buffer.from(s), s.length);
    expect(at("0.52 0.58 0.59 3/180 12345\n")).toBe(3);
    expect(at("12.00 9.10 4.20 17/2048 99\n")).toBe(17);
    expect(at("")).toBe(0);
  }, T);

  it("on Linux the signal is the kernel's runnable count against the cores", () => {
    if (!existsSync("/proc/loadavg")) {
      console.log("crowding: no /proc/loadavg on this host; the live signal is not checked");
      return;
    }
    const over = runnableOverCores()!;
    expect(typeof over()).toBe("boolean");
    const text = readFileSync("/proc/loadavg", "utf8");
    expect(runnableIn(Buffer.from(text), text.length)).toBeGreaterThanOrEqual(1); // this test runs
  }, T);
});
