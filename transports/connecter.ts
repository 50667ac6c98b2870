// Dialing, shared by every stream transport (tcp, ipc, ws, and ws over a
// browser's WebSocket): the connect loop with libzmq's backoff and the
// zeromq.js event sequence, an optional upgrade step (ws), and the reads of a
// dialed socket. No Node module is loaded here, so a browser build can use it;
// the engine comes from the EngineStarter the transport passes in.
import type { OnReadOpts, Socket as NetSocket } from "node:net";
import type { Timer } from "../lib/core/clock.js";
import { ZmqError, fromSystemError, toZmqError } from "../lib/core/errors.js";
import type { ConnectOptions, Connection, TransportHost } from "../lib/core/transport.js";
import type { EngineOptions } from "../lib/zmtp/engine.js";
import type { CodecFactory } from "../lib/zmtp/framing.js";
import type { Mechanism } from "../lib/zmtp/mechanisms/mechanism.js";
import { Session, type SessionOwner } from "../lib/zmtp/session.js";
import type { EngineEnd } from "../lib/zmtp/engine.js";

/** How a stream transport makes connections. */
export interface StreamDialer {
  /** Start one connection attempt; the socket emits 'connect' or 'error'.
   * `onread` goes into the connect options (DirectReads), unless the dialer
   * has an upgrade step (then the socket reads with 'data' events). */
  dial(onread: OnReadOpts): NetSocket;
  /** A protocol step between 'connect' and ZeroMQ (ws: the HTTP upgrade):
   * the framing to use and the bytes that came after the step. Rejecting
   * fails this attempt (the connecter retries). */
  upgrade?(s: NetSocket): Promise<Upgraded>;
  /** How the attempt starts, for libzmq's events: "at once" (ipc: a unix
   * connect succeeds or fails on the spot, so no `connect:delay`), "after a
   * lookup" (a host name: `connect:delay` once it resolved; a failed lookup
   * is only a `connect:retry`, no socket was opened), or in progress (the
   * default). */
  readonly starts?: "at once" | "after lookup";
}

export interface Upgraded {
  codec: CodecFactory;
  /** Bytes read past the upgrade, for the engine. */
  head: Buffer;
}

/** What the reads of a stream feed: the ZMTP engine, or the raw one (STREAM). */
export interface ReadingEngine {
  /** Where the next read may land (the rest of a large body), or undefined
   * for a fresh buffer that then goes to input(). */
  readTarget(): Buffer | undefined;
  /** `n` bytes were read into the Buffer readTarget() returned. */
  directRead(n: number): void;
  /** Bytes read from the stream. */
  input(chunk: Buffer): void;
}

/** Runs the engine over a connected stream for a session (transports/stream.ts on Node). */
export type EngineStarter = (
  stream: NetSocket,
  host: TransportHost,
  session: Session,
  reads?: DirectReads,
  codec?: CodecFactory,
) => ReadingEngine;

/** The engine's options from the socket's, for a connection secured by `mechanism`. */
export function engineOptions(host: TransportHost, mechanism: Mechanism, peerAddress: string | undefined): EngineOptions {
  const o = host.options;
  const t = host.type;
  return {
    socketType: host.socketType,
    clock: host.context.clock,
    maxMessageSize: o.maxMessageSize,
    handshakeInterval: o.handshakeInterval,
    heartbeatInterval: o.heartbeatInterval,
    heartbeatTimeout: o.heartbeatTimeout,
    heartbeatTimeToLive: o.heartbeatTimeToLive,
    mechanism,
    sendsSubscriptions: t.subscriptions === "sends",
    takesSubscriptions: t.subscriptions === "takes",
    peerAddress,
  };
}

/** Node's size for a read when nobody says otherwise. */
const READ_SIZE = 64 * 1024;

/** One read buffer shared by every dialed socket whose last read was small:
 * libuv reads one socket at a time into it and the callback copies the bytes
 * out before the next read, so an idle connection pins no buffer of its own. */
let sharedScratch: Buffer | undefined;

/**
 * Reads for a socket we dial, through net's `onread`. Reads land in the
 * shared scratch buffer and are copied out (frames are views of their chunk:
 * a 7-byte read must not keep 64 KiB alive). After a read that filled its
 * buffer the next one gets a fresh 64 KiB buffer of its own, handed on
 * without a copy. When the engine is assembling a large
 * body, the read lands straight in the body's missing part: one copy and as
 * many bytes per syscall as the kernel has, as libzmq reads large messages.
 * Accepted connections get the same through adopt().
 */
export class DirectReads {
  private engine: ReadingEngine | undefined;
  private target: Buffer | undefined;
  /** The last read filled at least half its buffer: give the next its own. */
  private busy = false;
  /** Bytes read before the engine existed (none expected: reading starts after 'connect'). */
  private early: Buffer[] = [];

  readonly options: OnReadOpts = {
    buffer: (): Uint8Array => {
      const t = this.engine?.readTarget();
      this.target = t;
      if (t !== undefined) return t;
      if (this.busy) return Buffer.allocUnsafeSlow(READ_SIZE);
      return (sharedScratch ??= Buffer.allocUnsafeSlow(READ_SIZE));
    },
    callback: (n: number, buf: Uint8Array): boolean => {
      if (buf === this.target) {
        // the body's own memory: the next read (often nothing, the
        // connection going idle) starts in the shared buffer again
        this.target = undefined;
        this.busy = false;
        this.engine!.directRead(n);
        return true;
      }
      let chunk: Buffer;
      if (buf === sharedScratch) {
        chunk = Buffer.allocUnsafe(n);
        chunk.set(buf.subarray(0, n));
      } else chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      // a full read says more is queued: the next read gets a buffer of its
      // own (handed on uncopied); a partial one drained the socket, so an
      // idle connection goes back to the shared buffer and pins nothing
      this.busy = n === buf.length;
      if (this.engine !== undefined) this.engine.input(chunk);
      else this.early.push(chunk);
      return true;
    },
  };

  attach(engine: ReadingEngine): void {
    this.engine = engine;
    for (const c of this.early.splice(0)) engine.input(c);
  }
}

const EMPTY = Buffer.alloc(0);

export function applySocketOptions(s: NetSocket, host: TransportHost): void {
  const o = host.options;
  // Node 20 can switch keepalive and set its idle time; count and interval
  // are stored only (README)
  if (o.tcpKeepalive === 1) s.setKeepAlive(true, o.tcpKeepaliveIdle > 0 ? o.tcpKeepaliveIdle * 1000 : 0);
  else if (o.tcpKeepalive === 0) s.setKeepAlive(false);
  s.setNoDelay(true);
  // an idle socket must not keep the process alive (pending calls do, see keepalive.ts)
  s.unref();
}

/** One connect(): a session plus the dialing loop. */
export class StreamConnecter implements Connection, SessionOwner {
  private readonly session: Session;
  private attempt: NetSocket | undefined;
  private retryTimer: Timer | undefined;
  private connectTimer: Timer | undefined;
  private currentInterval: number;
  private closed = false;

  constructor(
    private readonly dialer: StreamDialer,
    readonly address: string,
    private readonly host: TransportHost,
    opts: ConnectOptions,
    /** Starts the engine on a connected stream (with the platform's mechanisms). */
    private readonly start: EngineStarter,
  ) {
    this.currentInterval = host.options.reconnectInterval;
    this.session = new Session(host, address, true, this, opts.routingId);
    this.dial();
  }

  private dial(): void {
    if (this.closed) return;
    this.retryTimer = undefined;
    let s: NetSocket;
    const reads = new DirectReads();
    try {
      s = this.dialer.dial(reads.options);
    } catch (err) {
      this.host.emit({ type: "close", address: this.address, error: fromSystemError(err, this.address) });
      this.scheduleRetry();
      return;
    }
    this.attempt = s;
    s.unref();
    let opened = true;
    if (this.dialer.starts === undefined) this.host.emit({ type: "connect:delay", address: this.address });
    else if (this.dialer.starts === "after lookup") {
      opened = false;
      s.once("lookup", (err: Error | null) => {
        if (err !== null || this.attempt !== s) return;
        opened = true;
        this.host.emit({ type: "connect:delay", address: this.address });
      });
    }
    const timeout = this.host.options.connectTimeout;
    if (timeout > 0) {
      this.connectTimer = this.host.context.clock.setTimeout(() => s.destroy(new ZmqError("ETIMEDOUT", "connect timed out")), timeout);
      this.connectTimer.unref();
    }
    const onError = () => {
      this.clearConnectTimer();
      s.destroy();
      if (this.attempt !== s) return;
      this.attempt = undefined;
      if (opened) this.host.emit({ type: "close", address: this.address });
      this.scheduleRetry();
    };
    s.once("error", onError);
    s.once("close", onError);
    const connected = (codec: CodecFactory | undefined, head: Buffer) => {
      s.off("error", onError);
      s.off("close", onError);
      this.attempt = undefined;
      if (this.closed) {
        s.destroy();
        return;
      }
      this.currentInterval = this.host.options.reconnectInterval;
      if (codec === undefined) {
        this.start(s, this.host, this.session, reads);
        return;
      }
      const engine = this.start(s, this.host, this.session, undefined, codec);
      if (head.length > 0) engine.input(head);
      s.resume();
    };
    s.once("connect", () => {
      this.clearConnectTimer();
      if (this.closed) {
        s.destroy();
        return;
      }
      applySocketOptions(s, this.host);
      this.host.emit({ type: "connect", address: this.address });
      const upgrade = this.dialer.upgrade;
      if (upgrade === undefined) {
        connected(undefined, EMPTY);
        return;
      }
      upgrade.call(this.dialer, s).then(
        (u) => {
          if (this.attempt === s) connected(u.codec, u.head);
        },
        (err: unknown) => {
          if (this.attempt !== s) return;
          // a refused or malformed upgrade is this connection's handshake
          // failing: the events a failed ZMTP handshake gives, then a retry
          s.off("error", onError);
          s.off("close", onError);
          s.on("error", () => {});
          this.attempt = undefined;
          s.destroy();
          this.host.emit({ type: "handshake:error:protocol", address: this.address, error: toZmqError(err) });
          this.host.emit({ type: "disconnect", address: this.address });
          this.scheduleRetry();
        },
      );
    });
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) this.host.context.clock.clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  /** libzmq stream_connecter_base: the interval plus up to one interval of
   * jitter; with reconnectMaxInterval it doubles each time, up to the max. */
  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const o = this.host.options;
    const base = o.reconnectInterval;
    if (base < 0) return;
    let interval: number;
    if (o.reconnectMaxInterval > 0) {
      interval = Math.min(this.currentInterval, o.reconnectMaxInterval);
      this.currentInterval = Math.min(this.currentInterval * 2, o.reconnectMaxInterval);
    } else {
      interval = base + Math.floor(this.host.context.clock.random() * base);
    }
    this.host.emit({ type: "connect:retry", address: this.address, interval });
    this.retryTimer = this.host.context.clock.setTimeout(() => this.dial(), interval);
    this.retryTimer.unref();
  }

  sessionDisconnected(_s: Session, _end: EngineEnd): void {
    this.scheduleRetry();
  }
  sessionEnded(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) this.host.context.clock.clearTimeout(this.retryTimer);
    this.clearConnectTimer();
    this.attempt?.destroy();
    this.attempt = undefined;
    this.session.terminate();
  }
}
