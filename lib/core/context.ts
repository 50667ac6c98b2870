// A Context scopes inproc endpoints and holds zeromq.js's context properties.
// Properties without meaning in a single-threaded runtime (ioThreads...) are
// accepted and stored.
import { OptionRangeError } from "./errors.js";
import type { PeerInfo, PipeEnd } from "./pipe.js";

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

export class Context {
  private blockyValue = true;
  private ioThreadsValue = 1;
  private maxSocketsValue = 1023;
  private maxMessageSizeValue = 2 ** 31 - 1;
  private ipv6Value = false;
  private threadPriorityValue = 0;
  private threadSchedulingPolicyValue = 0;
  /** inproc endpoints by name (used by transports/inproc.ts). */
  readonly inproc = new Map<string, InprocEntry>();
  /** Open sockets, for maxSockets. */
  sockets = 0;

  constructor(options: ContextOptions = {}) {
    for (const [k, v] of Object.entries(options)) {
      if (!["blocky", "ioThreads", "maxSockets", "maxMessageSize", "ipv6"].includes(k)) {
        throw new TypeError(`Cannot add property ${k}, object is not extensible (no such context option)`);
      }
      (this as Record<string, unknown>)[k] = v;
    }
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
