// A Context scopes inproc endpoints and holds zeromq.js's context properties.
// Properties without meaning without I/O threads (ioThreads...) are accepted
// and stored. A shared context (the default one, or share()) reaches the
// inproc names of other worker threads through `remote` (transports/threads).
import { type Clock, systemClock } from "./clock.js";
import { OptionRangeError, zmqError } from "./errors.js";
import type { MessageTap } from "./tap.js";
import type { PeerInfo, PipeEnd } from "./pipe.js";
import type { ConnectOptions, Connection, TransportHost } from "./transport.js";

export interface ContextOptions {
  blocky?: boolean;
  ioThreads?: number;
  maxSockets?: number;
  maxMessageSize?: number;
  ipv6?: boolean;
}

/** Something registered under an inproc name (the inproc transport owns it). */
export interface InprocEntry {
  readonly kind: string;
  /** A bound socket: a pipe to it for something that is not a socket (a
   * security server's line to its ZAP handler, as libzmq's session makes);
   * `self` describes the opener to the bound socket. */
  openPipe?(self: PeerInfo): PipeEnd | undefined;
}

/** inproc beyond this thread, for a shared context (transports/threads). */
export interface InprocRemote {
  /** Resolves once no live socket of another thread holds `name`; rejects
   * EADDRINUSE otherwise. */
  ensureFree(name: string): Promise<void>;
  /** Record this thread's socket as the holder of `name` and hand it the
   * threads that wait for it; EADDRINUSE if another thread holds it. */
  claim(name: string, host: TransportHost): number;
  release(name: string, serial: number): void;
  /** A pipe to the socket of another thread bound at `name`; undefined when
   * none is, after noting that this thread waits for one. */
  connect(name: string, address: string, host: TransportHost, opts: ConnectOptions): Connection | undefined;
  /** No socket of this thread waits for `name` any more. */
  unwait(name: string): void;
}

/** A plain, cloneable handle of a shared context: pass it in `workerData`
 * and build the same context there with `new Context(handle)`. */
export interface SharedContext {
  readonly omqSharedContext: string;
  readonly registry: SharedArrayBuffer;
}

/** What makes contexts shareable (installed by the Node entry). */
export interface ContextSharing {
  create(): SharedContext;
  remote(handle: SharedContext, local: Map<string, InprocEntry>): InprocRemote;
}

let sharing: ContextSharing | undefined;
/** The name maps of the shared contexts this thread uses, by id: every
 * Context built from one handle in one thread is the same context. */
const localMaps = new Map<string, Map<string, InprocEntry>>();

export function setContextSharing(s: ContextSharing): void {
  sharing = s;
}

function isSharedContext(v: unknown): v is SharedContext {
  return typeof v === "object" && v !== null && typeof (v as SharedContext).omqSharedContext === "string";
}

export class Context {
  private blockyValue = true;
  private ioThreadsValue = 1;
  private maxSocketsValue = 1023;
  private maxMessageSizeValue = 2 ** 31 - 1;
  private ipv6Value = false;
  private threadPriorityValue = 0;
  private threadSchedulingPolicyValue = 0;
  /** inproc endpoints of this thread by name (used by transports/inproc.ts). */
  inproc = new Map<string, InprocEntry>();
  /** Other threads' inproc endpoints, once this context is shared. */
  remote: InprocRemote | undefined;
  private handle: SharedContext | undefined;
  /** Open sockets, for maxSockets. */
  sockets = 0;
  private clockValue: Clock = systemClock;
  /** omq: told of every message this context's sockets send, receive or
   * drop, and of sockets opening and closing (omq/testing's trace). */
  tap: MessageTap | undefined;

  constructor(options: ContextOptions | SharedContext = {}) {
    if (isSharedContext(options)) {
      this.adopt(options);
      return;
    }
    for (const [k, v] of Object.entries(options)) {
      if (!["blocky", "ioThreads", "maxSockets", "maxMessageSize", "ipv6"].includes(k)) {
        throw new TypeError(`Cannot add property ${k}, object is not extensible (no such context option)`);
      }
      (this as Record<string, unknown>)[k] = v;
    }
  }

  /** A handle that builds this same context in another thread (omq; zeromq.js
   * shares only its default context). Names bound before share() stay
   * visible to this thread only. */
  share(): SharedContext {
    if (this.handle === undefined) {
      if (sharing === undefined) throw zmqError("ENOTSUP", "contexts cannot be shared between threads here");
      this.adopt(sharing.create());
    }
    return this.handle!;
  }

  /** @internal Become the context of `handle` in this thread. */
  adopt(handle: SharedContext): void {
    if (sharing === undefined) throw zmqError("ENOTSUP", "contexts cannot be shared between threads here");
    this.handle = handle;
    let map = localMaps.get(handle.omqSharedContext);
    if (map === undefined) localMaps.set(handle.omqSharedContext, (map = this.inproc));
    this.inproc = map;
    this.remote = sharing.remote(handle, map);
  }

  /** omq: the time and random source of this context's sockets (a
   * simulation's virtual clock under omq/testing); settable only while the
   * context has no socket (their timers belong to the clock they started on). */
  get clock(): Clock {
    return this.clockValue;
  }
  set clock(c: Clock) {
    if (this.sockets > 0) throw zmqError("EBUSY", "a context's clock is set before its first socket");
    this.clockValue = c;
  }

  /** When false, new sockets default to linger 0 (zeromq.js). */
  get blocky(): boolean {
    return this.blockyValue;
  }
  set blocky(v: boolean) {
    this.blockyValue = checked("blocky", v, "boolean");
  }

  get ioThreads(): number {
    return this.ioThreadsValue;
  }
  set ioThreads(v: number) {
    this.ioThreadsValue = checked("ioThreads", v, "number");
  }

  get maxSockets(): number {
    return this.maxSocketsValue;
  }
  set maxSockets(v: number) {
    checked("maxSockets", v, "number");
    if (!Number.isInteger(v) || v < 1) throw new OptionRangeError("maxSockets must be a positive integer");
    this.maxSocketsValue = v;
  }

  get maxMessageSize(): number {
    return this.maxMessageSizeValue;
  }
  set maxMessageSize(v: number) {
    this.maxMessageSizeValue = checked("maxMessageSize", v, "number");
  }

  get ipv6(): boolean {
    return this.ipv6Value;
  }

  /** libzmq's I/O-thread priority and scheduling policy (zeromq.js: write-only):
   * no I/O threads here, so they are checked and kept only. */
  set threadPriority(v: number) {
    this.threadPriorityValue = checked("threadPriority", v, "number");
  }
  set threadSchedulingPolicy(v: number) {
    this.threadSchedulingPolicyValue = checked("threadSchedulingPolicy", v, "number");
  }

  /** The most sockets a context may be given (libzmq's ZMQ_SOCKET_LIMIT). */
  get maxSocketsLimit(): number {
    return 65535;
  }
  set ipv6(v: boolean) {
    this.ipv6Value = checked("ipv6", v, "boolean");
  }
}

/** A context option's value of the right type, or zeromq.js's TypeError. */
function checked<T>(name: string, v: T, type: "number" | "boolean"): T {
  if (typeof v !== type) throw new TypeError(`Option value must be a ${type} (${name})`);
  return v;
}

/** The default context, as zeromq.js's `context`. */
export const context = new Context();
