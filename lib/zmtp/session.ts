// A session owns one peer's pipe on the transport side and outlives its
// engines: on the connecting side the pipe is made at connect() (unless
// `immediate`), so messages queue before the peer exists and survive a
// reconnect (libzmq session_base_t). On the accepting side the pipe is made
// when the handshake completes. It drives any Engine: ZMTP over a stream, or
// whatever else carries one connection's messages.
import type { Timer } from "../core/clock.js";
import type { EventRecord as Event } from "../core/events.js";
import { ZmqError } from "../core/errors.js";
import { flushEnded, flushStarted } from "../core/exit-wait.js";
import { type PeerInfo, type PipeEnd, type PipeSink, pipePair } from "../core/pipe.js";
import type { TransportHost } from "../core/transport.js";
import type { Engine, EngineEnd, EngineOwner, EnginePeer } from "./engine.js";

export interface SessionOwner {
  /** The engine is gone; `end` says why. A connecter schedules a retry. */
  sessionDisconnected(s: Session, end: EngineEnd): void;
  /** The session is finished for good (terminated, or accepted and disconnected). */
  sessionEnded(s: Session): void;
}

export class Session implements PipeSink, EngineOwner {
  private socketEnd: PipeEnd | undefined;
  private sessionEnd: PipeEnd | undefined;
  private engine: Engine | undefined;
  private everReady = false;
  private terminating = false;
  private ended = false;
  private lingerTimer: Timer | undefined;
  /** The pattern closed a raw (STREAM) peer: its end is nobody's news. */
  private closedByPattern = false;

  constructor(
    private readonly host: TransportHost,
    /** The endpoint events carry. */
    readonly address: string,
    private readonly locallyInitiated: boolean,
    private readonly owner: SessionOwner,
    private readonly connectRoutingId?: Buffer,
  ) {
    if (locallyInitiated && !host.options.immediate) {
      const unknown: PeerInfo = { socketType: null, endpoint: address, locallyInitiated: true };
      if (connectRoutingId !== undefined) unknown.connectRoutingId = connectRoutingId;
      this.makePipe(unknown, false);
    }
  }

  get connected(): boolean {
    return this.engine !== undefined;
  }

  private makePipe(peer: PeerInfo, ready: boolean): void {
    const self: PeerInfo = { socketType: this.host.socketType, endpoint: this.address, locallyInitiated: !this.locallyInitiated };
    const [socketEnd, sessionEnd] = pipePair(peer, self, ready, true);
    this.socketEnd = socketEnd;
    this.sessionEnd = sessionEnd;
    sessionEnd.sink = this;
    this.host.attachPipe(socketEnd);
  }

  private emit(e: Event): void {
    this.host.emit(e);
  }

  /** A new connection's engine. */
  setEngine(engine: Engine): void {
    this.engine = engine;
  }

  engineReady(engine: Engine, m: EnginePeer): void {
    if (this.terminating) {
      engine.destroy();
      return;
    }
    const peer: PeerInfo = { socketType: m.socketType, endpoint: this.address, locallyInitiated: this.locallyInitiated };
    if (m.routingId !== undefined) peer.routingId = m.routingId;
    if (this.connectRoutingId !== undefined) peer.connectRoutingId = this.connectRoutingId;
    if (this.sessionEnd === undefined || this.sessionEnd.closed) {
      this.makePipe(peer, true);
    } else {
      this.socketEnd!.announce(peer);
      // libzmq hiccup: the peer lost what we told the old connection (subscriptions)
      if (this.everReady) this.socketEnd!.hiccup();
    }
    this.everReady = true;
    // a raw connection has no handshake to report (libzmq)
    if (this.host.type.raw !== true) this.emit({ type: "handshake", address: this.address });
    engine.attachPipe(this.sessionEnd!);
  }

  engineFlushed(): void {
    flushEnded(this);
  }

  engineClosed(engine: Engine, end: EngineEnd): void {
    if (this.engine === engine) this.engine = undefined;
    if (end.kind !== undefined) {
      const type = end.kind === "protocol" ? "handshake:error:protocol" : end.kind === "auth" ? "handshake:error:auth" : "handshake:error:other";
      this.emit({ type, address: this.address, error: eventError(end.error) });
    }
    const ev: Event = { type: "disconnect", address: this.address };
    if (end.error !== undefined && end.phase === "active" && end.error.code !== "ECONNRESET") ev.error = end.error;
    if (!this.closedByPattern) this.emit(ev);
    // accepted peers, and `immediate` connections, lose their pipe with the connection
    if (!this.locallyInitiated || this.host.options.immediate || this.terminating) this.closePipe();
    if (this.terminating || !this.locallyInitiated) this.finish();
    else this.owner.sessionDisconnected(this, end);
  }

  // --- PipeSink: the socket side of our pipe
  readActivated(): void {
    this.engine?.pipeReadable();
  }
  writeActivated(): void {
    this.engine?.pipeWritable();
  }
  terminated(): void {
    // the socket closed its end and we have read everything it wrote
    this.sessionEnd = undefined;
    this.socketEnd = undefined;
    if (this.terminating) {
      if (this.engine?.isReady) this.flush(this.engine);
      else this.engine?.destroy();
      this.finishWhenEngineGone();
    } else if (this.host.type.raw === true) {
      // STREAM closed this peer ([id, ""]): what it sent before goes out, then
      // the connection ends for good, a connect() included (libzmq: a raw
      // socket's session terminates with its pipe)
      this.terminating = true;
      this.closedByPattern = true;
      if (this.engine?.isReady) this.flush(this.engine);
      else this.engine?.destroy();
      this.finishWhenEngineGone();
    } else {
      // the pattern refused the pipe (PAIR's second peer, ROUTER handover):
      // drop the connection; a connecter will try again with a fresh pipe
      this.engine?.destroy();
    }
  }

  /** Stop for good (socket close, disconnect, unbind). With linger != 0 and a
   * live connection, queued messages are flushed for up to linger ms. */
  terminate(): void {
    if (this.terminating) return;
    this.terminating = true;
    const linger = this.host.options.linger;
    const engine = this.engine;
    if (engine === undefined || !engine.isReady || linger === 0) {
      // nobody to flush to: never wait for a peer that is not there
      this.closePipe();
      engine?.destroy();
      this.finish();
      return;
    }
    // from here the process waits for what is queued, at exit (exit-wait.ts)
    flushStarted(this, () => this.host.context.blocky);
    if (linger > 0) {
      this.lingerTimer = this.host.context.clock.setTimeout(() => {
        this.closePipe();
        this.engine?.destroy();
        this.finish();
      }, linger);
      // the flush's writes hold the process, not this bound on them
      this.lingerTimer.unref();
    }
    // Detach the pattern from the pipe (on disconnect()/unbind() the socket
    // itself stays open); what it already queued stays readable, and
    // terminated() ends the engine once all of it has been read into it.
    if (this.socketEnd === undefined || this.socketEnd.closed) this.terminated();
    else this.socketEnd.close();
  }

  /** Write what the pipe held, then end the connection; the process waits
   * for it at exit (exit-wait.ts). */
  private flush(engine: Engine): void {
    flushStarted(this, () => this.host.context.blocky);
    engine.endGracefully();
  }

  private finishWhenEngineGone(): void {
    if (this.engine === undefined) this.finish();
    // else engineClosed() calls finish() when the stream closes
  }

  private closePipe(): void {
    const s = this.sessionEnd;
    this.sessionEnd = undefined;
    this.socketEnd = undefined;
    s?.close();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    flushEnded(this);
    if (this.lingerTimer !== undefined) this.host.context.clock.clearTimeout(this.lingerTimer);
    this.owner.sessionEnded(this);
  }
}

const AUTH_MESSAGES: Record<number, string> = { 300: "Temporary error", 400: "Authentication failure", 500: "Internal error" };

function eventError(e: ZmqError | undefined): ZmqError | undefined {
  if (e === undefined) return undefined;
  const zmtpCode = (e as { zmtpCode?: string }).zmtpCode;
  if (zmtpCode === undefined) return e;
  // zeromq.js reports protocol failures with the ERR_ZMTP_* label as code, and
  // ZAP refusals with their status
  const status = (e as { status?: number }).status;
  if (status !== undefined) {
    // zeromq.js: the ZAP status, with libzmq's words for it
    const out: ZmqError & { status?: number } = new ZmqError("EACCES", AUTH_MESSAGES[status] ?? "Authentication failure", { cause: e });
    out.status = status;
    return out;
  }
  return new ZmqError(zmtpCode, e.message, { cause: e });
}
