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

/** What nextEvent needs; omq's and zeromq.js's socket.events both have it. */
interface Listenable<E> {
  on(type: string, listener: (e: E) => void): unknown;
  off(type: string, listener: (e: E) => void): unknown;
}

/** The socket's first `type` event from now on, or a rejection after ms.
 * Call it before the bind/connect that causes the event. Works for omq and
 * zeromq.js sockets (on() puts either Observer into emitter mode). */
export function nextEvent<E>(sock: { readonly events: Listenable<E> }, type: string, ms = 3000, what = `${type} event`): Promise<E> {
  return new Promise((resolve, reject) => {
    const on = (e: E) => {
      clearTimeout(timer);
      sock.events.off(type, on);
      resolve(e);
    };
    const timer = setTimeout(() => {
      sock.events.off(type, on);
      reject(new Error(`no ${what} within ${ms} ms`));
    }, ms);
    sock.events.on(type, on);
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
