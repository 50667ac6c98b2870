// The spinner that keeps the event loop polling while a caller waits
// (lib/busy-poll.ts). Observed through its state and through Node's list of
// active resources (a spin is a pending Immediate); never through timing.
import { describe, expect, it, vi } from "vitest";
import { BusyPoller, CAP_US, FLOOR_US } from "../../lib/api/busy-poll.js";
import { Pull, Push, busyPolling as isSpinning } from "../../index.js"; // the documented diagnostic
import { addSpinProbe, removeSpinProbe, runSpinProbes, spinActive, type SpinProbe } from "../../lib/core/spin-probes.js";
import { sleep } from "../helpers.js";

// These tests are about spinning; the suite often runs two files at once on
// two cores, which the crowding pause (crowding.ts) would rightly see as a
// crowded machine and stop every spin. The machine is declared uncrowded
// here; crowding.test.ts drives the pause with a scripted signal.
vi.mock("../../lib/api/crowding.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../lib/api/crowding.js")>()),
  crowdingSignal: () => ({ look: () => false }),
}));

const T = 15_000;

function immediatePending(): boolean {
  return process.getActiveResourcesInfo().includes("Immediate");
}

/** Resolves once the spinner has stopped (bounded: 5 s). */
async function spinEnds(): Promise<void> {
  for (let i = 0; i < 500 && isSpinning(); i++) await sleep(10);
  expect(isSpinning()).toBe(false);
}

describe("busy polling", () => {
  it("a wait with a window of 0 never spins", async () => {
    const p = new BusyPoller();
    p.waitBegins(0);
    expect(isSpinning()).toBe(false);
    await sleep(5);
    expect(immediatePending()).toBe(false);
  }, T);

  it("a wait spins until its window passes; unserved, the socket's next waits skip 1, 2, 4 ... then one served wait resets", async () => {
    const p = new BusyPoller();
    p.waitBegins(20_000); // 20 ms
    expect(isSpinning()).toBe(true);
    await sleep(1);
    expect(immediatePending()).toBe(true); // the loop keeps turning
    await spinEnds();
    expect(p).toMatchObject({ backoff: 1, skip: 1 });
    p.waitBegins(20_000); // skipped
    expect(isSpinning()).toBe(false);
    expect(p.skip).toBe(0);
    p.waitBegins(20_000); // spins, unserved again
    expect(isSpinning()).toBe(true);
    await spinEnds();
    expect(p).toMatchObject({ backoff: 2, skip: 2 });
    p.waitBegins(20_000);
    p.waitBegins(20_000);
    expect(isSpinning()).toBe(false);
    p.waitBegins(20_000);
    p.waitEnds(0); // served while spinning
    await spinEnds();
    expect(p).toMatchObject({ backoff: 0, skip: 0 });
  }, T);

  it("a wait that ends soon after its spin gave up (a late peer, not an idle one) clears the backoff; a long one does not", async () => {
    const p = new BusyPoller();
    p.waitBegins(5_000); // 5 ms, unserved
    await spinEnds();
    expect(p).toMatchObject({ backoff: 1, skip: 1 });
    p.waitEnds(performance.now() - 3); // 3 ms: within the 5 ms window
    expect(p).toMatchObject({ backoff: 0, skip: 0 });
    const q = new BusyPoller();
    q.waitBegins(5_000);
    await spinEnds();
    q.waitEnds(performance.now() - 50); // 50 ms: past max(CAP_US, window)
    expect(q).toMatchObject({ backoff: 1, skip: 1 });
    q.waitBegins(-1); // adaptive, skipped
    q.waitEnds(performance.now() - (CAP_US + 500) / 1000); // just past the cap
    expect(q.backoff).toBe(1);
  }, T);

  it("the backoff is capped: a long-idle socket still spins now and then", async () => {
    const p = new BusyPoller();
    for (let round = 0; round < 12; round++) {
      const skip = p.skip;
      for (let i = 0; i < skip; i++) p.waitBegins(1);
      p.waitBegins(1_000); // 1 ms, unserved
      expect(isSpinning()).toBe(true);
      await spinEnds();
    }
    expect(p).toMatchObject({ backoff: 256, skip: 256 });
    for (let i = 0; i < 256; i++) p.waitBegins(1);
    p.waitBegins(1_000);
    expect(isSpinning()).toBe(true);
    p.waitEnds(0);
    await spinEnds();
    expect(p.backoff).toBe(0);
  }, T);

  it("backoff is per socket: one whose waits go unserved does not stop another's spins", async () => {
    const bulk = new BusyPoller();
    const chatty = new BusyPoller();
    bulk.waitBegins(5_000);
    chatty.waitBegins(5_000);
    chatty.waitEnds(0);
    await spinEnds();
    expect(bulk).toMatchObject({ backoff: 1, skip: 1 });
    expect(chatty).toMatchObject({ backoff: 0, skip: 0 });
    chatty.waitBegins(5_000);
    expect(isSpinning()).toBe(true);
    chatty.waitEnds(0);
    await spinEnds();
    expect(chatty.backoff).toBe(0);
  }, T);

  it("a socket's receive or send that must wait spins for its busyPoll window; busyPoll 0 does not", async () => {
    await spinEnds();
    const quiet = new Pull({ linger: 0, busyPoll: 0 });
    const busy = new Pull({ linger: 0, busyPoll: 30_000 });
    const push = new Push({ linger: 0 });
    const lone = new Push({ linger: 0, busyPoll: 30_000, sendTimeout: 100 });
    try {
      expect(busy.busyPoll).toBe(30_000);
      expect(() => (busy.busyPoll = -2)).toThrow(RangeError);
      expect(quiet.busyPoll).toBe(0);
      expect(push.busyPoll).toBe(-1); // the default: adaptive
      await quiet.bind("inproc://busy-poll-quiet");
      await busy.bind("inproc://busy-poll-busy");
      const q = quiet.receive();
      q.catch(() => {});
      expect(isSpinning()).toBe(false);
      const b = busy.receive();
      expect(isSpinning()).toBe(true);
      push.connect("inproc://busy-poll-busy");
      await push.send("x");
      const [m] = await b;
      expect(m!.toString()).toBe("x");
      await spinEnds();
      // a send that must wait (no peer) spins as well
      const s = lone.send("y");
      expect(isSpinning()).toBe(true);
      await expect(s).rejects.toMatchObject({ code: "EAGAIN" });
    } finally {
      for (const x of [quiet, busy, push, lone]) x.close();
    }
  }, T);

  it("adaptive (-1): the window follows the socket's recent waits, 4x their average within [FLOOR_US, CAP_US]; none past the cap", () => {
    const p = new BusyPoller();
    expect(p.windowFor(-1)).toBe(FLOOR_US); // nothing measured yet
    p.typical = 100;
    expect(p.windowFor(-1)).toBe(400);
    p.typical = 10;
    expect(p.windowFor(-1)).toBe(FLOOR_US);
    p.typical = CAP_US / 2;
    expect(p.windowFor(-1)).toBe(CAP_US);
    p.typical = CAP_US * 2; // long waits (a slow server, a bulk sender): the wake-up is a small part
    expect(p.windowFor(-1)).toBe(0);
    expect(p.windowFor(500)).toBe(500); // a fixed window stays fixed
    expect(p.windowFor(0)).toBe(0);
  }, T);

  it("waits are measured: the average follows them (1/8 per wait)", async () => {
    const p = new BusyPoller();
    const t0 = p.waitBegins(0);
    await sleep(20);
    p.waitEnds(t0);
    expect(p.typical).toBeGreaterThan(15_000); // µs
    const before = p.typical;
    const t1 = p.waitBegins(0);
    p.waitEnds(t1);
    // a short wait pulls the average down by about 1/8
    expect(p.typical).toBeLessThan(before * 0.9);
    expect(p.typical).toBeGreaterThan(before * 0.8);
    expect(p.windowFor(-1)).toBe(0);
    expect(p.pending).toBe(0);
  }, T);

  it("a spin stops once no joined socket has a wait pending, before its window passes", async () => {
    await spinEnds();
    const p = new BusyPoller();
    const since = p.waitBegins(1_000_000); // a 1 s window
    expect(isSpinning()).toBe(true);
    p.waitEnds(since);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(isSpinning()).toBe(false);
    expect(p).toMatchObject({ backoff: 0, skip: 0 }); // served, so no backoff
  }, T);

  it("a REQ waiting for a slow server stops spinning once its waits are known to be long", async () => {
    const { Reply, Request } = await import("../../index.js");
    // the REP never spins: one spinner serves the process, and a REP whose
    // first wait was short would spin while waiting for the next request, a
    // spin still running when the REQ's next receive() is looked at
    const rep = new Reply({ linger: 0, busyPoll: 0 });
    const req = new Request({ linger: 0 });
    try {
      await rep.bind("inproc://busy-poll-slow");
      req.connect("inproc://busy-poll-slow");
      void (async () => {
        for await (const [m] of rep) {
          await sleep(5); // 5 ms per reply, past CAP_US
          await rep.send(m!);
        }
      })();
      const spun: boolean[] = [];
      for (let i = 0; i < 6; i++) {
        await req.send("q");
        const r = req.receive();
        spun.push(isSpinning());
        await r;
      }
      // the first wait spins (nothing known yet); once measured, none does
      // (a fixed window with backoff would still spin every other wait or so)
      expect(spun).toEqual([true, false, false, false, false, false]);
    } finally {
      req.close();
      rep.close();
    }
  }, T);

  it("a spin drives the spin probes: told when it starts, asked on each turn, told when it ends", async () => {
    const seen: string[] = [];
    let probes = 0;
    const p: SpinProbe = {
      spinStarts: () => seen.push(`start ${spinActive()}`),
      probe: () => void probes++,
      spinEnds: () => seen.push(`end ${spinActive()}`),
    };
    addSpinProbe(p);
    try {
      expect(spinActive()).toBe(false);
      const poller = new BusyPoller();
      poller.waitBegins(5_000); // 5 ms
      expect(seen).toEqual(["start true"]);
      await spinEnds();
      expect(seen).toEqual(["start true", "end false"]);
      expect(probes).toBeGreaterThan(1); // a turn after a turn
      const after = probes;
      await sleep(5);
      expect(probes).toBe(after); // no spin, no probing
    } finally {
      removeSpinProbe(p);
    }
  }, T);

  it("one turn asks each probe once, even one that is served and sleeps again (re-added to the set) during it", () => {
    let calls = 0;
    const p: SpinProbe = {
      spinStarts: () => {},
      probe: () => {
        calls++;
        // served, then asleep again: what a pipe end's wake and arm do
        removeSpinProbe(p);
        if (calls < 6) addSpinProbe(p);
      },
      spinEnds: () => {},
    };
    const other: SpinProbe = { spinStarts: () => {}, probe: () => {}, spinEnds: () => {} };
    addSpinProbe(p);
    addSpinProbe(other);
    try {
      runSpinProbes();
      expect(calls).toBe(1);
      runSpinProbes();
      expect(calls).toBe(2);
    } finally {
      removeSpinProbe(p);
      removeSpinProbe(other);
    }
  });
});
