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
  /** When false, new sockets default to linger 0 (zeromq.js). */
  blocky = true;
  ioThreads = 1;
  private maxSocketsValue = 1023;
  maxMessageSize = 2 ** 31 - 1;
  ipv6 = false;
  /** inproc endpoints by name (used by transports/inproc.ts). */
  readonly inproc = new Map<string, InprocEntry>();
  /** Open sockets, for maxSockets. */
  sockets = 0;

  constructor(options: ContextOptions = {}) {
    for (const [k, v] of Object.entries(options)) {
      if (!["blocky", "ioThreads", "maxSockets", "maxMessageSize", "ipv6"].includes(k)) {
        throw new TypeError(`Unknown context option: ${k}`);
      }
      (this as Record<string, unknown>)[k] = v;
    }
  }

  get maxSockets(): number {
    return this.maxSocketsValue;
  }
  set maxSockets(v: number) {
    if (typeof v !== "number") throw new TypeError("maxSockets must be a number");
    if (!Number.isInteger(v) || v < 1) throw new OptionRangeError("maxSockets must be a positive integer");
    this.maxSocketsValue = v;
  }
}

/** The default context, as zeromq.js's `context`. */
export const context = new Context();
