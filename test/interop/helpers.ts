// Shared plumbing for the interop tests: one socket interface over omq and
// zeromq.js (their public APIs match), bounded waits, and frame comparison.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import * as omq from "../../index.js";

export type Lib = "omq" | "zmq";
export type SockType = "pub" | "sub" | "xpub" | "xsub" | "req" | "rep" | "dealer" | "router" | "push" | "pull" | "pair";
export type Part = string | Buffer;

/** The part of the (shared) omq / zeromq.js socket API these tests use. */
export interface AnySocket {
  readonly closed: boolean;
  readonly lastEndpoint: string | null;
  /** ZMQ_POLLIN; on zeromq.js reading it also makes libzmq process pending commands. */
  readonly readable: boolean;
  readonly events: { on(type: string, fn: (e: { type: string; address?: string }) => void): unknown };
  bind(address: string): Promise<void>;
  connect(address: string, options?: { routingId?: string }): void;
  close(): void;
  send(message: Part | Part[]): Promise<void>;
  receive(): Promise<Buffer[]>;
  subscribe(...topics: string[]): void;
  unsubscribe(...topics: string[]): void;
}

const ZMQ_CLASSES = {
  pub: zmq.Publisher,
  sub: zmq.Subscriber,
  xpub: zmq.XPublisher,
  xsub: zmq.XSubscriber,
  req: zmq.Request,
  rep: zmq.Reply,
  dealer: zmq.Dealer,
  router: zmq.Router,
  push: zmq.Push,
  pull: zmq.Pull,
  pair: zmq.Pair,
} as const;

const RECEIVERS = new Set<SockType>(["sub", "xpub", "xsub", "req", "rep", "dealer", "router", "pull", "pair"]);

/** Every socket made by makeSocket, so afterEach can close them all. */
const open = new Set<AnySocket>();

/** Default wait for one message: a lost message fails the test instead of hanging it. */
export const RECEIVE_TIMEOUT = 10_000;

/** A socket of either library with linger 0 (a zeromq.js socket with linger
 * would keep the process waiting) and a bounded receive. */
export function makeSocket(lib: Lib, type: SockType, options: Record<string, unknown> = {}): AnySocket {
  const opts: Record<string, unknown> = { linger: 0, ...options };
  if (RECEIVERS.has(type) && opts.receiveTimeout === undefined) opts.receiveTimeout = RECEIVE_TIMEOUT;
  let s: AnySocket;
  if (lib === "omq") {
    s = omq.socket(type, opts as never) as unknown as AnySocket;
  } else {
    const Cls = ZMQ_CLASSES[type] as unknown as new (o: Record<string, unknown>) => AnySocket;
    s = new Cls(opts);
  }
  open.add(s);
  return s;
}

/** Close every socket made so far (afterEach). Never throws. */
export function closeAll(): void {
  for (const s of open) {
    try {
      if (!s.closed) s.close();
    } catch {
      // already closed
    }
  }
  open.clear();
}

/** Reject after ms with a message naming what was awaited. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Resolves on the socket's first event of that type. Register before bind/connect. */
export function nextEvent(s: AnySocket, type: string, ms: number, what: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => {
      s.events.on(type, () => resolve());
    }),
    ms,
    what,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic, non-repeating-looking bytes (catches offset errors zeros would hide). */
export function pattern(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + 1) >>> 0;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b.writeUInt32LE(x, i);
  }
  for (; i < size; i++) b[i] = (seed + i) & 0xff;
  return b;
}

export function toBuf(p: Part): Buffer {
  return typeof p === "string" ? Buffer.from(p) : p;
}

function describeFrames(m: readonly Part[]): string {
  const shown = m.slice(0, 6).map((f) => {
    const b = toBuf(f);
    return b.length <= 24 ? JSON.stringify(b.toString("latin1")) : `<${b.length} bytes>`;
  });
  return `[${shown.join(", ")}${m.length > 6 ? `, ... (${m.length} parts)` : ""}]`;
}

/** Throws unless `got` has exactly the frames of `want` (byte-equal, same count).
 * Cheap for large frames, and the error says where they differ. */
export function assertFrames(got: readonly Buffer[], want: readonly Part[], what: string): void {
  if (got.length !== want.length) {
    throw new Error(`${what}: got ${got.length} parts ${describeFrames(got)}, want ${want.length} ${describeFrames(want)}`);
  }
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = toBuf(want[i]!);
    if (!Buffer.isBuffer(g)) throw new Error(`${what}: part ${i} is not a Buffer`);
    if (g.length !== w.length || !g.equals(w)) {
      let at = 0;
      while (at < Math.min(g.length, w.length) && g[at] === w[at]) at++;
      throw new Error(`${what}: part ${i} differs (got ${g.length} bytes, want ${w.length}; first difference at byte ${at})`);
    }
  }
}

/** receive() with a bound even if the library's receiveTimeout were broken. */
export function recv(s: AnySocket, what: string, ms = RECEIVE_TIMEOUT + 2_000): Promise<Buffer[]> {
  return withTimeout(s.receive(), ms, what);
}
