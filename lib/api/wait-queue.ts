// The FIFO of send() or receive() calls that could not complete at once,
// served strictly in call order when the pattern says one may go through, each
// with its own timeout. While any call waits the process is kept alive
// (keepalive.ts) and the event loop may busy-poll (busy-poll.ts).
import { type Clock, type Timer, systemClock } from "../core/clock.js";
import { type ZmqError, zmqError } from "../core/errors.js";
import { RingQueue } from "../core/ring-queue.js";
import type { BusyPoller } from "./busy-poll.js";
import { holdAlive, releaseAlive } from "./keepalive.js";

/** What `attempt` returns when the head call still cannot complete. */
export const NOT_YET: unique symbol = Symbol("not yet");

interface Waiter<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
  timer: Timer | undefined;
  /** When the wait began (busy polling measures waits). */
  since: number;
}

export class WaitQueue<T, R> {
  private readonly q = new RingQueue<Waiter<T, R>>();
  private flushing = false;
  private again = false;

  constructor(
    /** Try to complete a waiting call: its result, or NOT_YET. May throw: the
     * call rejects with it and the next one is tried. */
    private readonly attempt: (item: T) => R | typeof NOT_YET,
    private readonly poller: BusyPoller,
    /** A timed-out head lets the next call try at once (a ROUTER send to
     * another peer may go through where the head could not). */
    private readonly retryAfterHeadTimeout: boolean,
    /** The error a timed-out call rejects with, when not EAGAIN. */
    private readonly timeoutError?: (item: T) => ZmqError | undefined,
  ) {}
  /** Times the waits (the socket's context clock). */
  clock: Clock = systemClock;

  get length(): number {
    return this.q.length;
  }

  /** Wait in line; rejects with EAGAIN after `timeoutMs` (-1: never). */
  wait(item: T, timeoutMs: number, busyPollUs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const w: Waiter<T, R> = { item, resolve, reject, timer: undefined, since: 0 };
      if (timeoutMs > 0) {
        w.timer = this.clock.setTimeout(() => {
          const head = this.q.peek() === w;
          if (this.q.removeWhere((x) => x === w) > 0) {
            w.timer = undefined;
            this.settle(w, this.timeoutError?.(w.item) ?? zmqError("EAGAIN"));
            if (head && this.retryAfterHeadTimeout) this.flush();
          }
        }, timeoutMs);
      }
      holdAlive();
      w.since = this.poller.waitBegins(busyPollUs);
      this.q.push(w);
    });
  }

  /** Serve waiting calls in order until one cannot complete. Re-entrant calls
   * (a completion that makes more possible) loop instead of recursing. */
  flush(): void {
    if (this.q.length === 0) return;
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = true;
    try {
      do {
        this.again = false;
        let w: Waiter<T, R> | undefined;
        while ((w = this.q.peek()) !== undefined) {
          let r: R | typeof NOT_YET;
          try {
            r = this.attempt(w.item);
          } catch (e) {
            this.q.shift();
            this.settle(w, e as Error);
            continue;
          }
          if (r === NOT_YET) break;
          this.q.shift();
          if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
          releaseAlive();
          this.poller.waitEnds(w.since);
          w.resolve(r);
        }
      } while (this.again);
    } finally {
      this.flushing = false;
    }
  }

  /** Reject every waiting call (the socket closed). */
  rejectAll(err: () => Error): void {
    let w: Waiter<T, R> | undefined;
    while ((w = this.q.shift()) !== undefined) this.settle(w, err());
  }

  private settle(w: Waiter<T, R>, e: Error): void {
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    releaseAlive();
    this.poller.waitEnds(w.since);
    w.reject(e);
  }
}
