// How one end of a cross-thread pipe sleeps and is woken (libzmq's ypipe
// rule: the peer rings only an end that said it sleeps). The end names what
// it waits for (WANT_* bits); the sleeper then either
// - asks the peer to ring: the bits go into shared memory, then the end looks
//   once more, and an Atomics.waitAsync waits for the bell; or
// - while this thread's loop busy-polls (lib/core/spin-probes.ts), sets no
//   bits and lets each turn of the loop look at the ring counters, so the
//   peer need not ring (a notify is a task posted across threads); when the
//   spin ends the bits are set and looked at, as above.
// Either way, once woken the wants are forgotten and the end's service()
// asks again for what it still needs.
import { addSpinProbe, removeSpinProbe, spinActive, type SpinProbe } from "../../lib/core/spin-probes.js";
import type { PipeMemory } from "./ring.js";

export class Sleeper implements SpinProbe {
  /** what the end sleeps for (WANT_* bits) */
  private wants = 0;
  /** registered as a spin probe */
  private probing = false;
  private waitPending = false;
  private serviceQueued = false;

  constructor(
    private readonly mem: PipeMemory,
    /** which of `wants` are met now */
    private readonly met: (wants: number) => number,
    /** do whatever became possible */
    private readonly service: () => void,
    /** the peer is gone: nothing will ring */
    private readonly gone: () => boolean,
  ) {}

  /** Sleep until what `bit` names is possible. */
  arm(bit: number): void {
    if (this.gone()) return;
    this.wants |= bit;
    if (!this.probing) {
      this.probing = true;
      addSpinProbe(this);
    }
    if (spinActive()) {
      if (this.met(this.wants) !== 0) this.queueService();
      return;
    }
    this.askRing(bit);
  }

  /** No more sleeping (the end is done with the pipe). */
  stop(): void {
    if (!this.probing) return;
    this.probing = false;
    removeSpinProbe(this);
  }

  spinStarts(): void {
    // a ring that crosses this is harmless: the pending wait services once more
    if (this.wants !== 0) Atomics.and(this.mem.i32, this.mem.myWant, ~this.wants);
  }

  probe(): void {
    if (this.met(this.wants) !== 0) this.wake();
  }

  spinEnds(): void {
    if (this.wants !== 0 && !this.gone()) this.askRing(this.wants);
  }

  /** The bits are set before the last look, and the peer looks at them after
   * changing what we looked at, so no wake-up is lost (both sides use
   * sequentially consistent atomics). */
  private askRing(bits: number): void {
    const i32 = this.mem.i32;
    const seen = Atomics.load(i32, this.mem.myBell);
    Atomics.or(i32, this.mem.myWant, bits);
    if (this.met(this.wants) !== 0) {
      this.queueService();
      return;
    }
    // a wait already pending resolves on any ring after its own look
    if (this.waitPending) return;
    this.waitPending = true;
    const r = waitAsync(i32, this.mem.myBell, seen);
    if (r.async) void r.value.then(this.onWake);
    else queueMicrotask(this.onWake);
  }

  private readonly onWake = (): void => {
    this.waitPending = false;
    this.wake();
  };

  /** Forget the wants (left set, a met one would make the next arm look met
   * again, for ever), then service. */
  private wake(): void {
    if (this.wants !== 0) Atomics.and(this.mem.i32, this.mem.myWant, ~this.wants);
    this.wants = 0;
    this.stop();
    this.service();
  }

  private queueService(): void {
    if (this.serviceQueued) return;
    this.serviceQueued = true;
    queueMicrotask(() => {
      this.serviceQueued = false;
      this.wake();
    });
  }
}

// Atomics.waitAsync (ES2024; in Node since 16): typed here for the ES2022 lib
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;
