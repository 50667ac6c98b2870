// omq sockets in tests: addresses, cleanup, and receiving or sending with a
// bound so a lost message fails the test instead of hanging it.
import { createServer } from "node:net";
import { afterEach } from "vitest";
import type { Socket } from "../../index.js";

/** Per-test timeout used by the spec suites (ms). */
export const T = 5000;

type Receiver = Socket & { receive(): Promise<Buffer[]>; receiveTimeout: number };

let counter = 0;

/** A fresh inproc address. */
export function uniqueInproc(prefix = "t"): string {
  return `inproc://${prefix}-${process.pid}-${++counter}`;
}

/** Join a binder and a connecter on addr, binding first or connecting first. */
export async function joinInOrder(binder: Socket, connecter: Socket, addr: string, bindFirst: boolean): Promise<void> {
  if (bindFirst) {
    await binder.bind(addr);
    connecter.connect(addr);
  } else {
    connecter.connect(addr);
    await binder.bind(addr);
  }
}

/** Close every socket given (already-closed ones are skipped). */
export function closeAll(...socks: Array<Socket | undefined>): void {
  for (const s of socks) if (s !== undefined && !s.closed) s.close();
}

/** Registers an afterEach that closes every socket passed to the returned
 * function: `const s = useSockets(); const push = s(new Push())`. */
export function useSockets(): <S extends Socket>(sock: S) => S {
  let list: Socket[] = [];
  afterEach(() => {
    closeAll(...list);
    list = [];
  });
  return (sock) => {
    list.push(sock);
    return sock;
  };
}

/** Receive exactly n messages within timeoutMs in all (bounded by the
 * socket's own receiveTimeout, restored afterwards); rejects naming how many
 * arrived. */
export async function collect(sock: Receiver, n: number, timeoutMs = 2000): Promise<Buffer[][]> {
  const out: Buffer[][] = [];
  const saved = sock.receiveTimeout;
  const deadline = Date.now() + timeoutMs;
  try {
    while (out.length < n) {
      sock.receiveTimeout = Math.max(1, deadline - Date.now());
      out.push(await sock.receive());
    }
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") {
      throw new Error(`collect: ${out.length} of ${n} messages arrived within ${timeoutMs} ms`);
    }
    throw e;
  } finally {
    if (!sock.closed) sock.receiveTimeout = saved;
  }
  return out;
}

/** Receive exactly n messages, each within ms of the one before (unlike
 * collect, no bound on the total: paced senders such as pgm's rate limit
 * take longer). Leaves receiveTimeout at ms. */
export async function collectEachWithin(sock: Receiver, n: number, ms = 5000): Promise<Buffer[][]> {
  sock.receiveTimeout = ms;
  const out: Buffer[][] = [];
  for (let i = 0; i < n; i++) out.push(await sock.receive());
  return out;
}

/** Every message that arrives within ms (0: those already queued). */
export async function drain(sock: Receiver, ms = 0): Promise<Buffer[][]> {
  const out: Buffer[][] = [];
  const saved = sock.receiveTimeout;
  try {
    for (;;) {
      sock.receiveTimeout = ms;
      out.push(await sock.receive());
    }
  } catch (e) {
    if ((e as { code?: string }).code !== "EAGAIN") throw e;
  } finally {
    if (!sock.closed) sock.receiveTimeout = saved;
  }
  return out;
}

/** The first message to arrive within ms, or undefined if none does (unlike
 * drain, it stops at the first). Leaves receiveTimeout at ms. */
export async function firstWithin(sock: Receiver, ms: number): Promise<Buffer[] | undefined> {
  sock.receiveTimeout = ms;
  try {
    return await sock.receive();
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") return undefined;
    throw e;
  }
}

/** Resolves with the rejection's `code`, or fails if the promise resolves. */
export async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Count sends that succeed with sendTimeout 0 before the first EAGAIN. */
export async function sendUntilBlocked(
  sock: Socket & { send(m: unknown): Promise<void>; sendTimeout: number },
  make: (i: number) => unknown = () => "x",
  max = 100_000,
): Promise<number> {
  const saved = sock.sendTimeout;
  sock.sendTimeout = 0;
  let n = 0;
  try {
    while (n < max) {
      try {
        await sock.send(make(n));
      } catch (e) {
        if ((e as { code?: string }).code === "EAGAIN") return n;
        throw e;
      }
      n++;
    }
    return n;
  } finally {
    if (!sock.closed) sock.sendTimeout = saved;
  }
}

/** A loopback port nobody listens on now (for connecting before binding, or
 * peers that cannot bind port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => (typeof a === "object" && a !== null ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}
