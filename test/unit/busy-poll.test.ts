// The spinner that keeps the event loop polling while a caller waits
// (lib/busy-poll.ts). Observed through its state and through Node's list of
// active resources (a spin is a pending Immediate); never through timing.
import { describe, expect, it } from "vitest";
import { busyPollState, waitBegins, waitEnds } from "../../lib/busy-poll.js";
import { Pull, Push } from "../../index.js";

const T = 15_000;

function immediatePending(): boolean {
  return process.getActiveResourcesInfo().includes("Immediate");
}

/** Resolves once the spinner has stopped (bounded: 5 s). */
async function spinEnds(): Promise<void> {
  for (let i = 0; i < 500 && busyPollState().spinning; i++) await new Promise((r) => setTimeout(r, 10));
  expect(busyPollState().spinning).toBe(false);
}

describe("busy polling", () => {
  it("a wait with a window of 0 never spins", async () => {
    waitBegins(0);
    expect(busyPollState().spinning).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    expect(immediatePending()).toBe(false);
  }, T);

  it("a wait spins until its window passes; unserved, the next waits skip 1, 2, 4 ... then one served wait resets", async () => {
    waitBegins(20_000); // 20 ms
    expect(busyPollState().spinning).toBe(true);
    await new Promise((r) => setTimeout(r, 1));
    expect(immediatePending()).toBe(true); // the loop keeps turning
    await spinEnds();
    expect(busyPollState()).toMatchObject({ backoff: 1, skip: 1 });
    waitBegins(20_000); // skipped
    expect(busyPollState()).toMatchObject({ spinning: false, skip: 0 });
    waitBegins(20_000); // spins, unserved again
    expect(busyPollState().spinning).toBe(true);
    await spinEnds();
    expect(busyPollState()).toMatchObject({ backoff: 2, skip: 2 });
    waitBegins(20_000);
    waitBegins(20_000);
    expect(busyPollState()).toMatchObject({ spinning: false, skip: 0 });
    waitBegins(20_000);
    waitEnds(); // served while spinning
    await spinEnds();
    expect(busyPollState()).toMatchObject({ backoff: 0, skip: 0 });
  }, T);

  it("the backoff is capped: a long-idle socket still spins now and then", async () => {
    for (let round = 0; round < 12; round++) {
      const skip = busyPollState().skip;
      for (let i = 0; i < skip; i++) waitBegins(1);
      waitBegins(1_000); // 1 ms, unserved
      expect(busyPollState().spinning).toBe(true);
      await spinEnds();
    }
    expect(busyPollState().backoff).toBe(256);
    expect(busyPollState().skip).toBe(256);
    for (let i = 0; i < 256; i++) waitBegins(1);
    waitBegins(1_000);
    expect(busyPollState().spinning).toBe(true);
    waitEnds();
    await spinEnds();
    expect(busyPollState().backoff).toBe(0);
  }, T);

  it("a socket's receive that must wait spins for its busyPoll window, and one with busyPoll 0 does not", async () => {
    await spinEnds();
    const quiet = new Pull({ linger: 0, busyPoll: 0 });
    const busy = new Pull({ linger: 0, busyPoll: 30_000 });
    const push = new Push({ linger: 0 });
    try {
      expect(busy.busyPoll).toBe(30_000);
      expect(() => (busy.busyPoll = -1)).toThrow(RangeError);
      await quiet.bind("inproc://busy-poll-quiet");
      await busy.bind("inproc://busy-poll-busy");
      const q = quiet.receive();
      q.catch(() => {});
      expect(busyPollState().spinning).toBe(false);
      const b = busy.receive();
      expect(busyPollState().spinning).toBe(true);
      push.connect("inproc://busy-poll-busy");
      await push.send("x");
      const [m] = await b;
      expect(m!.toString()).toBe("x");
      await spinEnds();
      // served during the spin: no backoff
      expect(busyPollState()).toMatchObject({ backoff: 0, skip: 0 });
      // a send that must wait (no peer yet) spins as well
      const lone = new Push({ linger: 0, busyPoll: 30_000, sendTimeout: 100 });
      try {
        const s = lone.send("y");
        expect(busyPollState().spinning).toBe(true);
        await expect(s).rejects.toMatchObject({ code: "EAGAIN" });
      } finally {
        lone.close();
      }
    } finally {
      quiet.close();
      busy.close();
      push.close();
    }
  }, T);
});
