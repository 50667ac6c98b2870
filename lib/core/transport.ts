// The interface every transport implements, and the registry by scheme.
// Transports never know which pattern they serve: they hand the socket pipe
// ends (TransportHost.attachPipe) and report events.
import type { Context } from "./context.js";
import type { Endpoint } from "./endpoint.js";
import type { EventRecord as Event } from "./events.js";
import type { OptionValues } from "./options.js";
import type { PipeEnd } from "./pipe.js";
import type { SocketTypeDescriptor } from "./socket-type.js";

/** The socket as a transport sees it. */
export interface TransportHost {
  readonly context: Context;
  /** ZMTP spelling of the socket type ("PUB"). */
  readonly socketType: string;
  /** Everything else about the socket type (subscriptions on the wire...). */
  readonly type: SocketTypeDescriptor;
  /** Live option values. */
  readonly options: OptionValues;
  readonly closed: boolean;
  /** Give the socket its end of a new pipe; the socket applies its HWM and
   * conflate settings and attaches it to its pattern. */
  attachPipe(end: PipeEnd): void;
  emit(event: Event): void;
}

/** A bound endpoint. close() is idempotent. */
export interface Binding {
  /** The resolved address (real port, generated path), for lastEndpoint. */
  readonly address: string;
  /** false: the socket reports no bind/close events for it (libzmq's
   * monitor is silent about inproc endpoints). */
  readonly monitored?: boolean;
  close(): void;
}

/** A connect(): retries in the background until closed. close() is idempotent
 * and stops retrying; queued messages are flushed for up to `linger` ms. */
export interface Connection {
  close(): void;
}

export interface ConnectOptions {
  /** Router.connect(addr, { routingId }). */
  routingId?: Buffer;
}

export interface Transport {
  readonly schemes: readonly string[];
  /** Socket types this transport can carry (pgm: PUB/SUB/XPUB/XSUB); all if absent. */
  supports?(socketType: string): boolean;
  /** Connections are byte streams a raw socket (ZMQ_STREAM) can use as they
   * are: tcp, ipc. Absent: the transport cannot carry STREAM. */
  readonly rawStreams?: boolean;
  bind(ep: Endpoint, host: TransportHost): Promise<Binding>;
  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection;
}

const registry = new Map<string, Transport>();

export function registerTransport(t: Transport): void {
  for (const s of t.schemes) registry.set(s, t);
}

export function findTransport(scheme: string): Transport | undefined {
  return registry.get(scheme);
}

export function hasTransport(scheme: string): boolean {
  return registry.has(scheme);
}
