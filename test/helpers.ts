// Small transport-agnostic test utilities. Spec suites take their addresses
// from a TestTransport so the same bodies can later run over tcp and ipc.
import { afterEach } from "vitest";
import type { Socket } from "../index.js";

/** Per-test timeout used by the spec suites (ms). */
export const T = 5000;

type Receiver = Socket & { receive(): Promise<Buffer[]>; receiveTimeout: number };

let counter = 0;

/** A fresh inproc address. */
export function uniqueInproc(prefix = "t"): string {
  return `inproc://${prefix}-${process.pid}-${++counter}`;
}

export interface TestTransport {
  readonly name: string;
  /** A fresh address to bind (inproc: a unique name; tcp would give port 0). */
  address(): string;
  /** Bind `sock` to a fresh address and return the address peers connect to. */
  bind(sock: Socket): Promise<string>;
  /** Resolve once `sock` has `n` live peers. inproc's connect() attaches at
   * once, so it resolves at once; stream transports would count `handshake`
   * events (the Observer queues them until read). */
  connected(sock: Socket, n: number): Promise<void>;
  /** Resolve once `sock` has noticed that `n` peers went away (inproc
   * reports a peer's close through microtasks; stream transports would count
   * `disconnect` events). */
  disconnected(sock: Socket, n: number): Promise<void>;
  /** Resolve once every subscription made so far has reached the publishers
   * (inproc applies them synchronously; stream transports need a barrier,
   * e.g. a probe topic or the XPUB seeing the subscription). */
  subscribed(...subs: Socket[]): Promise<void>;
  /** How long a test waits to conclude that nothing arrives (ms). inproc
   * delivers synchronously, so 0 is exact there. */
  readonly quietMs: number;
}

export const inprocTransport: TestTransport = {
  name: "inproc",
  address: () => uniqueInproc(),
  async bind(sock) {
    await sock.bind(uniqueInproc());
    return sock.lastEndpoint!;
  },
  connected: async () => {},
  disconnected: () => settled(),
  subscribed: async () => {},
  quietMs: 0,
};

/** The transports the spec suites run over. */
export const transports: readonly TestTransport[] = [inprocTransport];

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

/** Frames as strings, for readable assertions. */
export function str(msg: Buffer[]): string[] {
  return msg.map((b) => b.toString());
}

/** Receive exactly n messages within timeoutMs (bounded by the socket's own
 * receiveTimeout, restored afterwards); rejects naming how many arrived. */
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

/** Resolves with the rejection's `code`, or fails if the promise resolves. */
export async function rejectionCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Lets every queued microtask run (inproc reports a peer's close through
 * microtasks): a deterministic barrier, not a timed sleep. */
export function settled(): Promise<void> {
  return new Promise((r) => setImmediate(r));
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
