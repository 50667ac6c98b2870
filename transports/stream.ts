// What tcp and ipc share: a listener that wraps each accepted net.Socket in a
// ZMTP engine and session, and a connecter that dials, retries with libzmq's
// backoff and reports the zeromq.js event sequence. tcp.ts and ipc.ts only
// say how to listen and how to dial.
import type { OnReadOpts, Server, Socket as NetSocket } from "node:net";
import { ZmtpEngine } from "../lib/zmtp/engine.js";
import type { EngineEnd } from "../lib/zmtp/engine.js";
import { ZmqError, fromSystemError } from "../lib/core/errors.js";
import { NullMechanism } from "../lib/zmtp/mechanisms/null.js";
import { Session, type SessionOwner } from "../lib/zmtp/session.js";
import type { Binding, ConnectOptions, Connection, TransportHost } from "../lib/core/transport.js";

/** Each socket's live stream sessions (accepted and connecting), for sync. */
const liveSessions = new WeakMap<object, Set<Session>>();

function track(host: TransportHost, s: Session): void {
  let set = liveSessions.get(host);
  if (set === undefined) liveSessions.set(host, (set = new Set()));
  set.add(s);
}

function untrack(host: TransportHost, s: Session): void {
  liveSessions.get(host)?.delete(s);
}

/** Resolves once every stream peer of the socket behind `host` has processed
 * everything the socket queued to it before the call, subscriptions included
 * (a ZMTP PING/PONG round trip per connection, Session.sync). A connect()
 * whose peer has not answered yet is waited for, so callers bound the wait. */
export function syncStreamPeers(host: object): Promise<void> {
  const set = liveSessions.get(host);
  if (set === undefined || set.size === 0) return Promise.resolve();
  return Promise.all([...set].map((s) => new Promise<void>((resolve) => s.sync(resolve)))).then(() => undefined);
}

/** How a stream transport makes connections. */
export interface StreamDialer {
  /** Start one connection attempt; the socket emits 'connect' or 'error'.
   * `onread` goes into the connect options (DirectReads). */
  dial(onread: OnReadOpts): NetSocket;
}

/** Node's size for a read when nobody says otherwise. */
const READ_SIZE = 64 * 1024;

/**
 * Reads for a socket we dial, through net's `onread`: each read goes into a
 * fresh 64 KiB Buffer as Node's own (the decoder keeps views of it), except
 * when the engine is assembling a large body: then the read lands straight in
 * the body's missing part, one copy and as many bytes per syscall as the
 * kernel has, as libzmq reads large messages. Node offers `onread` only for
 * sockets it connects, so accepted connections keep 'data' events.
 */
class DirectReads {
  private engine: ZmtpEngine | undefined;
  private target: Buffer | undefined;
  /** A read buffer whose bytes were copied out: the next read may reuse it. */
  private spare: Buffer | undefined;
  /** Bytes read before the engine existed (none expected: reading starts after 'connect'). */
  private early: Buffer[] = [];

  readonly options: OnReadOpts = {
    buffer: (): Uint8Array => {
      const t = this.engine?.readTarget();
      this.target = t;
      if (t !== undefined) return t;
      const spare = this.spare;
      this.spare = undefined;
      return spare ?? Buffer.allocUnsafeSlow(READ_SIZE);
    },
    callback: (n: number, buf: Uint8Array): boolean => {
      if (buf === this.target) {
        this.target = undefined;
        this.engine!.directRead(n);
        return true;
      }
      // Frames are views of their chunk: a 7-byte read must not keep 64 KiB
      // alive (Node trims its own 'data' chunks to size). A read that filled
      // at least half the buffer is handed on as it is (at most 2x held);
      // a smaller one is copied out and the buffer used again.
      let chunk: Buffer;
      if (n * 2 >= buf.length) chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      else {
        chunk = Buffer.allocUnsafe(n);
        chunk.set(buf.subarray(0, n));
        this.spare = buf as Buffer;
      }
      if (this.engine !== undefined) this.engine.input(chunk);
      else this.early.push(chunk);
      return true;
    },
  };

  attach(engine: ZmtpEngine): void {
    this.engine = engine;
    for (const c of this.early.splice(0)) engine.input(c);
  }
}

export function startEngine(stream: NetSocket, host: TransportHost, session: Session, reads?: DirectReads): ZmtpEngine {
  const o = host.options;
  const engine = new ZmtpEngine(
    stream,
    {
      socketType: host.socketType,
      maxMessageSize: o.maxMessageSize,
      handshakeInterval: o.handshakeInterval,
      heartbeatInterval: o.heartbeatInterval,
      heartbeatTimeout: o.heartbeatTimeout,
      heartbeatTimeToLive: o.heartbeatTimeToLive,
      mechanism: new NullMechanism(
        o.routingId !== undefined ? { socketType: host.socketType, routingId: o.routingId } : { socketType: host.socketType },
      ),
    },
    session,
  );
  session.setEngine(engine);
  reads?.attach(engine);
  return engine;
}

export function applySocketOptions(s: NetSocket, host: TransportHost): void {
  const o = host.options;
  // Node 20 can switch keepalive and set its idle time; count and interval
  // are stored only (README)
  if (o.tcpKeepalive === 1) s.setKeepAlive(true, o.tcpKeepaliveIdle > 0 ? o.tcpKeepaliveIdle * 1000 : 0);
  else if (o.tcpKeepalive === 0) s.setKeepAlive(false);
  // an idle socket must not keep the process alive (pending calls do, see keepalive.ts)
  s.unref();
}

/** A listening endpoint and the sessions of the peers it accepted. */
export class StreamListener implements Binding, SessionOwner {
  private readonly sessions = new Set<Session>();
  private closed = false;

  constructor(
    private readonly server: Server,
    readonly address: string,
    private readonly host: TransportHost,
    private readonly onClose?: () => void,
  ) {
    server.unref();
    server.on("connection", (s: NetSocket) => this.accepted(s));
    server.on("error", (err) => this.host.emit({ type: "accept:error", address, error: fromSystemError(err, address) }));
  }

  private accepted(s: NetSocket): void {
    if (this.closed || this.host.closed) {
      s.destroy();
      return;
    }
    applySocketOptions(s, this.host);
    this.host.emit({ type: "accept", address: this.address });
    const session = new Session(this.host, this.address, false, this);
    this.sessions.add(session);
    track(this.host, session);
    startEngine(s, this.host, session);
  }

  sessionDisconnected(): void {}
  sessionEnded(s: Session): void {
    this.sessions.delete(s);
    untrack(this.host, s);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const s of [...this.sessions]) s.terminate();
    this.onClose?.();
  }
}

/** One connect(): a session plus the dialing loop. */
export class StreamConnecter implements Connection, SessionOwner {
  private readonly session: Session;
  private attempt: NetSocket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private currentInterval: number;
  private closed = false;

  constructor(
    private readonly dialer: StreamDialer,
    readonly address: string,
    private readonly host: TransportHost,
    opts: ConnectOptions,
  ) {
    this.currentInterval = host.options.reconnectInterval;
    this.session = new Session(host, address, true, this, opts.routingId);
    track(host, this.session);
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
    this.host.emit({ type: "connect:delay", address: this.address });
    const timeout = this.host.options.connectTimeout;
    if (timeout > 0) {
      this.connectTimer = setTimeout(() => s.destroy(new ZmqError("ETIMEDOUT", "connect timed out")), timeout);
      this.connectTimer.unref();
    }
    const onError = () => {
      this.clearConnectTimer();
      s.destroy();
      if (this.attempt !== s) return;
      this.attempt = undefined;
      this.host.emit({ type: "close", address: this.address });
      this.scheduleRetry();
    };
    s.once("error", onError);
    s.once("close", onError);
    s.once("connect", () => {
      this.clearConnectTimer();
      s.off("error", onError);
      s.off("close", onError);
      this.attempt = undefined;
      if (this.closed) {
        s.destroy();
        return;
      }
      applySocketOptions(s, this.host);
      this.host.emit({ type: "connect", address: this.address });
      this.currentInterval = this.host.options.reconnectInterval;
      startEngine(s, this.host, this.session, reads);
    });
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
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
      interval = base + Math.floor(Math.random() * base);
    }
    this.host.emit({ type: "connect:retry", address: this.address, interval });
    this.retryTimer = setTimeout(() => this.dial(), interval);
    this.retryTimer.unref();
  }

  sessionDisconnected(_s: Session, _end: EngineEnd): void {
    this.scheduleRetry();
  }
  sessionEnded(s: Session): void {
    untrack(this.host, s);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.clearConnectTimer();
    this.attempt?.destroy();
    this.attempt = undefined;
    this.session.terminate();
  }
}
