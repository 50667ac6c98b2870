// Virtual time: one queue of timed events for the whole simulation, and a
// Clock per node over it. Time moves only when the simulation's driver says
// so (simulation.ts: when the real event loop has nothing left to do, it
// jumps to the next event). A node's clock stops for a paused node (its
// timers fire when it resumes) and forgets the timers of a killed node.
import type { Clock, Timer } from "../lib/core/clock.js";

/** One scheduled callback. */
export class VirtualTimer implements Timer {
  cancelled = false;
  /** Moved to its owner's resume time by a pause. */
  deferred = false;
  constructor(
    public at: number,
    public seq: number,
    readonly fn: () => void,
    readonly owner: ClockOwner | undefined,
    readonly every: number,
  ) {}
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  hasRef(): boolean {
    return false;
  }
}

/** What a node clock asks of its node. */
export interface ClockOwner {
  /** The incarnation is gone (killed): its timers never fire. */
  readonly alive: boolean;
  /** Virtual ms until which the node is paused (0: running). */
  readonly pausedUntil: number;
  readonly incarnation: number;
}

export class EventQueue {
  private heap: VirtualTimer[] = [];
  private seq = 0;
  now = 0;
  /** Bumped on every schedule and cancel: the driver's sign of activity. */
  changes = 0;

  get size(): number {
    return this.heap.length;
  }

  schedule(at: number, fn: () => void, owner?: ClockOwner, every = 0): VirtualTimer {
    const t = new VirtualTimer(Math.max(at, this.now), this.seq++, fn, owner, every);
    this.push(t);
    this.changes++;
    return t;
  }

  cancel(t: VirtualTimer | undefined): void {
    if (t === undefined || t.cancelled) return;
    t.cancelled = true;
    this.changes++;
  }

  /** The next live event's time, or undefined (dropping cancelled ones). */
  peekTime(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.at;
  }

  /** Remove the next live event and move time to it. */
  take(): VirtualTimer | undefined {
    if (this.peekTime() === undefined) return undefined;
    const t = this.pop()!;
    this.now = t.at;
    return t;
  }

  /** Run an event taken by take(): skipped for dead owners, deferred for paused ones. */
  fire(t: VirtualTimer): void {
    const o = t.owner;
    if (o !== undefined) {
      if (!o.alive) return;
      if (o.pausedUntil > this.now) {
        t.at = o.pausedUntil;
        t.seq = this.seq++;
        t.deferred = true;
        this.push(t);
        return;
      }
      t.deferred = false;
    }
    if (t.every > 0) {
      t.at = this.now + t.every;
      t.seq = this.seq++;
      this.push(t);
    }
    t.fn();
  }

  /** `owner` resumes early: what its pause deferred runs now, in its order. */
  resume(owner: ClockOwner): void {
    const moved = this.heap.filter((t) => t.deferred && t.owner === owner && !t.cancelled).sort((x, y) => x.at - y.at || x.seq - y.seq);
    if (moved.length === 0) return;
    const rest = this.heap.filter((t) => !moved.includes(t));
    this.heap = [];
    for (const t of rest) this.push(t);
    for (const t of moved) {
      t.at = this.now;
      t.seq = this.seq++;
      t.deferred = false;
      this.push(t);
    }
    this.changes++;
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** A node's view of virtual time: omq's Clock plus promise helpers for tests. */
export class NodeClock implements Clock {
  readonly realTime = false;
  constructor(
    private readonly q: EventQueue,
    private readonly owner: ClockOwner | undefined,
    readonly random: () => number,
  ) {}

  now(): number {
    return this.q.now;
  }
  setTimeout(fn: () => void, ms: number): VirtualTimer {
    return this.q.schedule(this.q.now + Math.max(0, ms), fn, this.owner);
  }
  clearTimeout(t: Timer | undefined): void {
    this.q.cancel(t as VirtualTimer | undefined);
  }
  setInterval(fn: () => void, ms: number): VirtualTimer {
    const every = Math.max(1, ms);
    return this.q.schedule(this.q.now + every, fn, this.owner, every);
  }
  clearInterval(t: Timer | undefined): void {
    this.q.cancel(t as VirtualTimer | undefined);
  }
  /** Resolves after `ms` of virtual time (never, if the node is killed first). */
  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.setTimeout(r, ms));
  }
  /** Call `fn(i)` every `ms` (i = 0, 1, ...); returns the timer, for clearInterval. */
  every(ms: number, fn: (i: number) => void): VirtualTimer {
    let i = 0;
    return this.setInterval(() => fn(i++), ms);
  }
}
