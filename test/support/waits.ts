// Bounded waits: every wait that could hang a test fails instead, naming what
// it waited for.

/** Poll `pred` every 10 ms for up to `ms`; throws naming `what` on timeout. */
export async function until(pred: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Rejects with `what` if p does not settle within ms. */
export function within<V>(p: Promise<V>, ms: number, what: string): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A timed pause; prefer a barrier (settled, until, eventsSeen) where one exists. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Lets every queued microtask run (inproc reports a peer's close through
 * microtasks): a deterministic barrier, not a timed sleep. */
export function settled(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** An event as the tests read it: any field of any type (omq's and zeromq.js's). */
export interface AnyEvent {
  type: string;
  address?: string;
  interval?: number;
  error?: { code?: string; errno?: number; message: string; status?: number };
}

/** The socket's first `type` event from now on, or a rejection after ms.
 * Call it before the bind/connect that causes the event. Works for omq and
 * zeromq.js sockets (on() puts either Observer into emitter mode). */
export function nextEvent<E = AnyEvent>(sock: { readonly events: object }, type: string, ms = 3000, what = `${type} event`): Promise<E> {
  return new Promise((resolve, reject) => {
    const ev = sock.events as unknown as { on(t: string, l: (e: E) => void): unknown; off(t: string, l: (e: E) => void): unknown };
    const on = (e: E) => {
      clearTimeout(timer);
      ev.off(type, on);
      resolve(e);
    };
    const timer = setTimeout(() => {
      ev.off(type, on);
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    ev.on(type, on);
  });
}

/** A test peer whose state changes on socket events: until() waits for a
 * condition, checked again on every wake(). */
export class Waitable {
  private waiters: Array<() => void> = [];

  /** Something changed: re-check every waiting condition. */
  protected wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolve when pred() holds (checked on every wake()), or reject after ms. */
  until(pred: () => boolean, ms = 5000, what = "condition"): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
}
