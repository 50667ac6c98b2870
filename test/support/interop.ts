// Interop plumbing: one socket interface over omq and zeromq.js (their public
// APIs match), made with linger 0 and a bounded receive.
import { createRequire } from "node:module";
import * as omq from "../../index.js";
import type { Part } from "./data.js";
import { within } from "./waits.js";

export type Lib = "omq" | "zmq";
export type SockType = "pub" | "sub" | "xpub" | "xsub" | "req" | "rep" | "dealer" | "router" | "push" | "pull" | "pair";

/** The part of the (shared) omq / zeromq.js socket API these tests use. */
export interface AnySocket {
  readonly closed: boolean;
  readonly lastEndpoint: string | null;
  /** ZMQ_POLLIN; on zeromq.js reading it also makes libzmq process pending commands. */
  readonly readable: boolean;
  readonly events: {
    on(type: string, fn: (e: { type: string; address?: string }) => void): unknown;
    off(type: string, fn: (e: { type: string; address?: string }) => void): unknown;
  };
  bind(address: string): Promise<void>;
  connect(address: string, options?: { routingId?: string }): void;
  close(): void;
  send(message: Part | Part[]): Promise<void>;
  receive(): Promise<Buffer[]>;
  subscribe(...topics: string[]): void;
  unsubscribe(...topics: string[]): void;
}

// zeromq.js (a native addon) loads on the first zeromq.js socket, not in
// every test file that imports the helpers.
const requireCjs = createRequire(import.meta.url);
let zmqClasses: Record<SockType, new (o: Record<string, unknown>) => AnySocket> | undefined;
function zmqClass(type: SockType): new (o: Record<string, unknown>) => AnySocket {
  if (zmqClasses === undefined) {
    const zmq = requireCjs("zeromq") as typeof import("zeromq");
    zmqClasses = {
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
    } as unknown as Record<SockType, new (o: Record<string, unknown>) => AnySocket>;
  }
  return zmqClasses[type];
}

const RECEIVERS = new Set<SockType>(["sub", "xpub", "xsub", "req", "rep", "dealer", "router", "pull", "pair"]);

/** Every socket made by makeSocket, so afterEach can close them all. */
const made = new Set<AnySocket>();

/** Default wait for one message: a lost message fails the test instead of hanging it. */
export const RECEIVE_TIMEOUT = 10_000;

/** A socket of either library with linger 0 (a zeromq.js socket with linger
 * would keep the process waiting) and a bounded receive. */
export function makeSocket(lib: Lib, type: SockType, options: Record<string, unknown> = {}): AnySocket {
  const opts: Record<string, unknown> = { linger: 0, ...options };
  if (RECEIVERS.has(type) && opts.receiveTimeout === undefined) opts.receiveTimeout = RECEIVE_TIMEOUT;
  const s = lib === "omq" ? (omq.socket(type, opts as never) as unknown as AnySocket) : new (zmqClass(type))(opts);
  made.add(s);
  return s;
}

/** Close every socket makeSocket has made so far (for afterEach; closeAll
 * closes only the sockets given). Never throws. */
export function closeMadeSockets(): void {
  for (const s of made) {
    try {
      if (!s.closed) s.close();
    } catch {
      // already closed
    }
  }
  made.clear();
}

/** receive() with a bound even if the library's receiveTimeout were broken. */
export function recv(s: AnySocket, what: string, ms = RECEIVE_TIMEOUT + 2_000): Promise<Buffer[]> {
  return within(s.receive(), ms, what);
}
