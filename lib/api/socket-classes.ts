// The public socket classes (as zeromq.js v6), their typed options and the socket()
// factory. Option accessors come from the table in options.ts.
import type { Context } from "../core/context.js";
import type { MessageLike } from "../core/message.js";
import { Socket } from "./socket.js";
import { defineOptions, installSocketMethods } from "./socket-methods.js";
import { type SocketTypeName, findSocketType } from "../core/socket-type.js";

/** What SUB's and XPUB's patterns offer beyond the Pattern contract. */
interface Subscribing {
  subscribe(subscribe: boolean, topic: Buffer): void;
}
interface ManualSubscribing {
  manualSubscribe(subscribe: boolean, topic: Buffer): void;
}
import { toFrame } from "../core/message.js";
import { zmqError } from "../core/errors.js";

/** Options every socket has (README lists the defaults). */
export interface SocketOptions {
  /** ZMQ_LINGER, ms; -1 flushes without limit. Default -1 (0 when context.blocky is false). */
  linger: number;
  /** ZMQ_RECONNECT_IVL, ms (default 100; -1 disables reconnection). */
  reconnectInterval: number;
  /** ZMQ_RECONNECT_IVL_MAX, ms (default 0: no backoff). */
  reconnectMaxInterval: number;
  /** ZMQ_CONNECT_TIMEOUT, ms (default 0: none). */
  connectTimeout: number;
  /** ZMQ_MAXMSGSIZE, bytes per whole inbound message (default -1: none). */
  maxMessageSize: number;
  /** ZMQ_IMMEDIATE (default false). */
  immediate: boolean;
  /** ZMQ_HANDSHAKE_IVL, ms (default 30000). */
  handshakeInterval: number;
  /** ZMQ_HEARTBEAT_IVL, ms (default 0: off). */
  heartbeatInterval: number;
  /** ZMQ_HEARTBEAT_TIMEOUT, ms (default -1: the interval). */
  heartbeatTimeout: number;
  /** ZMQ_HEARTBEAT_TTL, ms (default 0). */
  heartbeatTimeToLive: number;
  /** ZMQ_TCP_KEEPALIVE: -1 OS default, 0 off, 1 on. */
  tcpKeepalive: number;
  /** ZMQ_TCP_KEEPALIVE_CNT: stored; Node 20 cannot set it. */
  tcpKeepaliveCount: number;
  /** ZMQ_TCP_KEEPALIVE_IDLE, s. */
  tcpKeepaliveIdle: number;
  /** ZMQ_TCP_KEEPALIVE_INTVL: stored; Node 20 cannot set it. */
  tcpKeepaliveInterval: number;
  /** ZMQ_IPV6 (default false). */
  ipv6: boolean;
  /** ZMQ_BACKLOG (default 100). */
  backlog: number;
  /** omq only: how long a send or receive that has to wait keeps the event
   * loop polling instead of sleeping: -1 (default) adapts to the socket's
   * recent waits (200 µs to 1 ms, none for waits longer than that); a number
   * is a fixed window in µs; 0 never spins. See README "Busy polling". */
  busyPoll: number;
  /** omq only: TLS options for wss:// (node:tls): `key` and `cert` to bind;
   * `ca`, `rejectUnauthorized`, `servername` (and a client `cert`/`key`) to
   * connect. See README "WebSocket". */
  tls: import("node:tls").SecureContextOptions & import("node:tls").CommonConnectionOptions & { servername?: string } | null;
  /** omq only: an http.Server (ws://) or https.Server (wss://) of the
   * application's that bind() attaches to instead of listening itself: the
   * socket serves the bound path, the server keeps serving everything else. */
  httpServer: import("node:http").Server | null;
  /** omq only: speak the mechanism-less `ZWS2.0` over ws/wss (as browsers
   * and jszmq do): connect offers only it instead of libzmq's
   * `ZWS2.0/NULL,ZWS2.0`; bind picks it whenever a client offers it. */
  wsNoMechanism: boolean;
  /** ZMQ_PLAIN_SERVER: be the PLAIN server (clients are checked by the ZAP handler). */
  plainServer: boolean;
  /** ZMQ_PLAIN_USERNAME / ZMQ_PLAIN_PASSWORD: be a PLAIN client (1-255 bytes). */
  plainUsername: string | null;
  plainPassword: string | null;
  /** ZMQ_CURVE_SERVER: be the CURVE server (needs curveSecretKey). */
  curveServer: boolean;
  /** ZMQ_CURVE_PUBLICKEY / _SECRETKEY / _SERVERKEY: read as 40-character Z85
   * strings; set as Z85 strings or 32-byte Buffers. A server key makes a CURVE client. */
  get curvePublicKey(): string | null;
  set curvePublicKey(v: string | Uint8Array | null);
  get curveSecretKey(): string | null;
  set curveSecretKey(v: string | Uint8Array | null);
  get curveServerKey(): string | null;
  set curveServerKey(v: string | Uint8Array | null);
  /** ZMQ_ZAP_DOMAIN (RFC 27): the domain sent to the ZAP handler; NULL
   * connections go through ZAP only when it is set. */
  zapDomain: string | null;
  /** ZMQ_ZAP_ENFORCE_DOMAIN: with no ZAP handler bound, fail the handshake
   * instead of letting NULL (with a domain) and CURVE clients in. */
  zapEnforceDomain: boolean;
  /** ZMQ_RATE, kbit/s (pgm; default 100). */
  rate: number;
  /** ZMQ_RECOVERY_IVL, ms (pgm; default 10000). */
  recoveryInterval: number;
  /** ZMQ_MULTICAST_MAXTPDU, bytes (pgm; default 1500). */
  multicastMaxTransportDataUnit: number;
}

export interface WritableOptions {
  /** ZMQ_SNDHWM, messages per peer (default 1000; 0 = no limit). */
  sendHighWaterMark: number;
  /** ZMQ_SNDTIMEO, ms (default -1: wait forever). */
  sendTimeout: number;
  /** ZMQ_MULTICAST_HOPS (pgm; default 1). */
  multicastHops: number;
}

export interface ReadableOptions {
  /** ZMQ_RCVHWM, messages per peer (default 1000; 0 = no limit). */
  receiveHighWaterMark: number;
  /** ZMQ_RCVTIMEO, ms (default -1: wait forever). */
  receiveTimeout: number;
}

export interface Writable {
  /** Queue a message; waits at the HWM for types that wait. */
  send(message: MessageLike | MessageLike[]): Promise<void>;
}

export interface Readable {
  /** The next whole multipart message. */
  receive(): Promise<Buffer[]>;
  [Symbol.asyncIterator](): AsyncIterator<Buffer[]>;
}

export interface RoutingOptions {
  /** ZMQ_ROUTING_ID: 1-255 bytes, not starting with a zero byte. */
  routingId: string | null;
}

type CurveKeyName = "curvePublicKey" | "curveSecretKey" | "curveServerKey";
/** Constructor options: every option, keys also as 32-byte Buffers. */
type Ctor<T> = Partial<Omit<T, CurveKeyName>> & { context?: Context } & {
  [K in CurveKeyName & keyof T]?: string | Uint8Array | null;
};

export interface Pair extends SocketOptions, WritableOptions, ReadableOptions, Writable, Readable {}
export class Pair extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions>) {
    super("pair", options);
  }
}

export interface PublisherOptions {
  /** ZMQ_XPUB_NODROP: wait (EAGAIN on timeout) instead of dropping at the HWM. */
  noDrop: boolean;
  /** ZMQ_CONFLATE: keep only the newest message per peer. */
  conflate: boolean;
  /** ZMQ_INVERT_MATCHING: send to peers that do not match. */
  invertMatching: boolean;
}
export interface Publisher extends SocketOptions, WritableOptions, PublisherOptions, Writable {}
export class Publisher extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & PublisherOptions>) {
    super("pub", options);
  }
}

export interface SubscriberOptions {
  conflate: boolean;
  invertMatching: boolean;
}
export interface Subscriber extends SocketOptions, ReadableOptions, SubscriberOptions, Readable {}
export class Subscriber extends Socket {
  constructor(options?: Ctor<SocketOptions & ReadableOptions & SubscriberOptions>) {
    super("sub", options);
  }
  /** Subscribe to messages whose first frame starts with one of the prefixes;
   * no argument subscribes to everything. */
  subscribe(...prefixes: Array<string | Buffer>): void {
    if (this.closed) throw zmqError("EBADF");
    const p = this._pattern as unknown as Subscribing;
    for (const t of prefixes.length === 0 ? [""] : prefixes) p.subscribe(true, toFrame(t));
  }
  /** Remove subscriptions; no argument removes the everything-filter "". */
  unsubscribe(...prefixes: Array<string | Buffer>): void {
    if (this.closed) throw zmqError("EBADF");
    const p = this._pattern as unknown as Subscribing;
    for (const t of prefixes.length === 0 ? [""] : prefixes) p.subscribe(false, toFrame(t));
  }
}

export interface RequestOptions {
  /** ZMQ_REQ_CORRELATE: prefix requests with an id and match replies to it. */
  correlate: boolean;
  /** ZMQ_REQ_RELAXED: allow a new request before the reply. */
  relaxed: boolean;
  /** ZMQ_PROBE_ROUTER: send an empty message to each new peer. */
  probeRouter: boolean;
}
export interface Request extends SocketOptions, WritableOptions, ReadableOptions, RoutingOptions, RequestOptions, Writable, Readable {}
export class Request extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & RoutingOptions & RequestOptions>) {
    super("req", options);
  }
}

export interface Reply extends SocketOptions, WritableOptions, ReadableOptions, RoutingOptions, Writable, Readable {}
export class Reply extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & RoutingOptions>) {
    super("rep", options);
  }
}

export interface DealerOptions {
  probeRouter: boolean;
  conflate: boolean;
}
export interface Dealer extends SocketOptions, WritableOptions, ReadableOptions, RoutingOptions, DealerOptions, Writable, Readable {}
export class Dealer extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & RoutingOptions & DealerOptions>) {
    super("dealer", options);
  }
}

export interface RouterOptions {
  /** ZMQ_ROUTER_MANDATORY: unknown ids reject with EHOSTUNREACH, full peers wait. */
  mandatory: boolean;
  /** ZMQ_ROUTER_HANDOVER: a newcomer with a taken id replaces the old peer. */
  handover: boolean;
  probeRouter: boolean;
}
export interface Router extends SocketOptions, WritableOptions, ReadableOptions, RoutingOptions, RouterOptions, Writable, Readable {}
export class Router extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & RoutingOptions & RouterOptions>) {
    super("router", options);
  }
  /** Connect; `routingId` names the peer (ZMQ_CONNECT_ROUTING_ID). */
  override connect(address: string, options: { routingId?: string | Buffer } = {}): void {
    super.connect(address, options);
  }
}

export interface PushPullOptions {
  conflate: boolean;
}
export interface Push extends SocketOptions, WritableOptions, PushPullOptions, Writable {}
export class Push extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & PushPullOptions>) {
    super("push", options);
  }
}
export interface Pull extends SocketOptions, ReadableOptions, PushPullOptions, Readable {}
export class Pull extends Socket {
  constructor(options?: Ctor<SocketOptions & ReadableOptions & PushPullOptions>) {
    super("pull", options);
  }
}

export interface XPublisherOptions {
  noDrop: boolean;
  invertMatching: boolean;
  /** ZMQ_XPUB_MANUAL: subscriptions apply only via subscribe()/unsubscribe(). */
  manual: boolean;
  /** ZMQ_XPUB_WELCOME_MSG: sent to each new subscriber. */
  welcomeMessage: string | Buffer | null;
  /** ZMQ_XPUB_VERBOSE ("allSubs") / ZMQ_XPUB_VERBOSER ("allSubsUnsubs"). */
  verbosity: "allSubs" | "allSubsUnsubs" | null;
}
export interface XPublisher extends SocketOptions, WritableOptions, ReadableOptions, XPublisherOptions, Writable, Readable {}
export class XPublisher extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & XPublisherOptions>) {
    super("xpub", options);
  }
  /** With `manual`: subscribe the peer whose subscription was received last
   * (EINVAL without `manual`, as libzmq). */
  subscribe(...prefixes: Array<string | Buffer>): void {
    if (this.closed) throw zmqError("EBADF");
    const p = this._pattern as unknown as ManualSubscribing;
    for (const t of prefixes.length === 0 ? [""] : prefixes) p.manualSubscribe(true, toFrame(t));
  }
  /** With `manual`: unsubscribe the peer whose subscription was received last. */
  unsubscribe(...prefixes: Array<string | Buffer>): void {
    if (this.closed) throw zmqError("EBADF");
    const p = this._pattern as unknown as ManualSubscribing;
    for (const t of prefixes.length === 0 ? [""] : prefixes) p.manualSubscribe(false, toFrame(t));
  }
}

export interface XSubscriber extends SocketOptions, WritableOptions, ReadableOptions, Writable, Readable {}
export class XSubscriber extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions>) {
    super("xsub", options);
  }
}

export interface StreamOptions {
  /** ZMQ_STREAM_NOTIFY (default true): a zero-length message when a peer
   * connects and when it goes away. Write-only, as in zeromq.js. */
  notify: boolean;
}
/** Raw TCP (or ipc) peers that do not speak ZeroMQ: every message is
 * [routing id, bytes]. Sending [id, ""] closes that peer's connection once
 * what was sent before is written. */
export interface Stream extends SocketOptions, WritableOptions, ReadableOptions, StreamOptions {
  send(message: [MessageLike, MessageLike, ...MessageLike[]]): Promise<void>;
  receive(): Promise<[Buffer, Buffer]>;
  [Symbol.asyncIterator](): AsyncIterator<[Buffer, Buffer], undefined>;
}
export class Stream extends Socket {
  constructor(options?: Ctor<SocketOptions & WritableOptions & ReadableOptions & StreamOptions>) {
    super("stream", options);
  }
  /** Connect; `routingId` names the peer (ZMQ_CONNECT_ROUTING_ID). */
  override connect(address: string, options: { routingId?: string | Buffer } = {}): void {
    super.connect(address, options);
  }
}

const CLASSES = {
  pair: Pair, pub: Publisher, sub: Subscriber, req: Request, rep: Reply, dealer: Dealer,
  router: Router, pull: Pull, push: Push, xpub: XPublisher, xsub: XSubscriber, stream: Stream,
} as const;

/** Give the classes their option accessors, once the socket types are
 * registered (the package's entry point calls this). */
export function defineSocketClassOptions(): void {
  installSocketMethods();
  for (const [name, cls] of Object.entries(CLASSES)) {
    const type = findSocketType(name);
    if (type === undefined) throw new TypeError(`socket type ${name} is not registered`);
    defineOptions(cls, type);
  }
}

type Classes = typeof CLASSES;
export type SocketTypeString = keyof Classes;

/** Create a socket by type name (case-insensitive): socket("pub"). */
export function socket<T extends SocketTypeString>(
  type: T | Uppercase<T>,
  options?: ConstructorParameters<Classes[T]>[0],
): InstanceType<Classes[T]> {
  if (typeof type !== "string") throw new TypeError("Socket type must be a string");
  const key = type.toLowerCase();
  if (!(key in CLASSES) || findSocketType(key) === undefined) throw new TypeError(`Unknown socket type: ${type}`);
  const Cls = CLASSES[key as SocketTypeString] as unknown as new (o?: unknown) => InstanceType<Classes[T]>;
  return new Cls(options);
}
