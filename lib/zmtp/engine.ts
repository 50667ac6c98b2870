// One ZMTP connection over a byte stream (tcp, ipc): greeting, the security
// mechanism's handshake, then frames both ways between the stream and the
// session's pipe end, with heartbeats and flow control. Shared by every stream
// transport: they only make the net.Socket.
//
// Flow control: outbound, the engine reads whole messages from its pipe end
// into one batch per flush (scheduled with nextTick so a burst of sends becomes
// one write, or after an I/O turn while the kernel holds writes back) and stops
// reading while the stream wants 'drain'. Inbound, decoding stops 256 messages
// ahead of a reader that keeps pace (DECODED_AHEAD); a full pipe suspends the
// decoder and pauses the stream until writeActivated, so TCP itself pushes
// back and memory stays bounded by the HWMs.
import type { Socket as NetSocket } from "node:net";
import { ZmqError } from "../core/errors.js";
import { ioTurn } from "../core/io-turn.js";
import type { Mechanism, MechanismPeer } from "./mechanisms/mechanism.js";
import type { Msg } from "../core/message.js";
import type { PipeEnd } from "../core/pipe.js";
import { type Command, parsePing, pingCommand, pongCommand, subscriptionMessage } from "./commands.js";
import {
  CMD_CANCEL, CMD_ERROR, CMD_PING, CMD_PONG, CMD_SUBSCRIBE, ERR_ZMTP_MECHANISM_MISMATCH,
  ERR_ZMTP_UNEXPECTED_COMMAND, ZmtpError, protocolError,
} from "./constants.js";
import { ZmtpDecoder } from "./decoder.js";
import { ZmtpEncoder } from "./encoder.js";
import { GreetingParser, encodeGreeting } from "./greeting.js";

/** Stop filling a batch past this many bytes; the rest goes in the next turn. */
const BATCH_BYTES = 256 * 1024;
/** Keep encoding while the stream holds less than this unsent: waiting for a
 * full 'drain' after every batch leaves both ends idle. Memory per connection
 * stays bounded by this plus the pipe's HWM. */
const MAX_UNSENT = 1024 * 1024;
/** Received bytes held undecoded while the pipe is full before the stream is
 * paused (then TCP pushes back on the peer). */
const MAX_HELD = 256 * 1024;
/** Decoded messages kept in the pipe ahead of a reader that keeps pace; the
 * rest of a read stays as bytes until the reader catches up. A 64 KiB read
 * holds thousands of small messages: decoded at once, each is a view and an
 * array that outlives a scavenge, and V8 grows its young generation to the
 * maximum (+30 MiB RSS). Nothing else changes: after one turn of the event
 * loop without the reader catching up, past MAX_HELD waiting bytes, or when
 * the peer closes, decoding goes on up to the HWM as before. */
const DECODED_AHEAD = 256;
/** Direct reads only for bodies missing at least this much: below it a read
 * into a fresh 64 KiB buffer, which may also hold the next frames, does better. */
const DIRECT_READ_MIN = 64 * 1024;
/** After our FIN, how long to wait for the peer's before closing the fd. */
const FIN_WAIT_MS = 30_000;
/** Largest command accepted during the handshake (READY metadata...). */
const HANDSHAKE_COMMAND_MAX = 64 * 1024;

export interface EngineOptions {
  /** Our type, ZMTP spelling. */
  socketType: string;
  maxMessageSize: number;
  handshakeInterval: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  mechanism: Mechanism;
}

/** Why an engine stopped. `phase` tells whether the handshake had completed. */
export interface EngineEnd {
  phase: "handshake" | "active";
  /** handshake:error:* kind, for failures before the handshake completed. */
  kind: "protocol" | "auth" | "other" | undefined;
  error: ZmqError | undefined;
}

export interface EngineOwner {
  /** Handshake complete; the owner must call attachPipe() now. */
  engineReady(engine: ZmtpEngine, peer: MechanismPeer): void;
  /** The connection is gone (called once). */
  engineClosed(engine: ZmtpEngine, end: EngineEnd): void;
}

/** Makes each sync() PING context unique. */
let syncCounter = 0;

const SUBSCRIBERS = new Set(["SUB", "XSUB"]);
const PUBLISHERS = new Set(["PUB", "XPUB"]);

export class ZmtpEngine {
  private readonly greeting = new GreetingParser();
  private decoder: ZmtpDecoder | undefined;
  private readonly encoder = new ZmtpEncoder();
  private pipe: PipeEnd | undefined;
  private peerMinor = 1;
  private ready = false;
  private closed = false;
  private flushScheduled = false;
  private waitingDrain = false;
  /** Messages decoded while the pipe was full. */
  private stalled: Msg[] = [];
  private inputStopped = false;
  /** inputStopped with room in the pipe: DECODED_AHEAD reached. */
  private lazyStop = false;
  /** Decoding what piled up: up to the HWM, DECODED_AHEAD does not apply. */
  private eager = false;
  /** A check is due next turn: a lazy stop lasts one turn of the event loop. */
  private lazyCheck = false;
  private streamPaused = false;
  /** The peer closed while received data was still held for a full pipe:
   * the engine ends once that data has been delivered. */
  private peerEnded: unknown;
  /** A PONG owed while the stream wanted 'drain' (only the latest is kept). */
  private pendingPong: Buffer | undefined;
  private finTimer: NodeJS.Timeout | undefined;
  /** End the stream once everything queued is written (linger). */
  private ending = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatDeadline: NodeJS.Timeout | undefined;
  private ttlTimer: NodeJS.Timeout | undefined;
  /** Bumped on every inbound chunk: timers compare it to see silence. */
  private received = 0;
  private readonly sendsSubscriptions: boolean;
  private readonly takesSubscriptions: boolean;
  /** sync() callers whose PING goes out once the pipe has been drained. */
  private syncQueued: Array<(ok: boolean) => void> = [];
  /** sync() PINGs on the wire, by context (hex), waiting for their PONG. */
  private syncSent = new Map<string, (ok: boolean) => void>();

  constructor(
    private readonly stream: NetSocket,
    private readonly o: EngineOptions,
    private readonly owner: EngineOwner,
  ) {
    this.sendsSubscriptions = SUBSCRIBERS.has(o.socketType);
    this.takesSubscriptions = PUBLISHERS.has(o.socketType);
    stream.setNoDelay?.(true);
    stream.on("data", (c: Buffer) => this.onData(c));
    stream.on("drain", () => {
      this.waitingDrain = false;
      if (this.pendingPong !== undefined) {
        const pong = pongCommand(this.pendingPong);
        this.pendingPong = undefined;
        this.encoder.writeCommand(pong.name, pong.data);
      }
      if (this.ending && this.pipe === undefined) {
        this.writeBatch();
        this.finishEnding();
      } else this.flush();
    });
    stream.on("error", (err) => this.peerGone(err));
    stream.on("close", () => this.peerGone(zmqErrorOf("ECONNRESET")));
    stream.on("end", () => this.peerGone(zmqErrorOf("ECONNRESET")));
    stream.on("finish", () => {
      // Everything is written and our FIN sent: waiting for the peer's FIN must
      // not keep the process alive (libzmq closes the fd at this point). An
      // unref'd timer bounds how long the fd lingers if the peer never closes.
      stream.unref();
      const t = setTimeout(() => this.destroy(), FIN_WAIT_MS);
      t.unref();
      this.finTimer = t;
    });
    if (o.handshakeInterval > 0) {
      this.handshakeTimer = setTimeout(
        () => this.fail("handshake", "other", new ZmqError("EAGAIN", "ZMTP handshake timed out")),
        o.handshakeInterval,
      );
      this.handshakeTimer.unref();
    }
    // the whole greeting at once: waiting for the peer's would deadlock (notes §3.1)
    stream.write(encodeGreeting(o.mechanism.name, o.mechanism.asServer));
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** The session's pipe end: messages read from it go out, messages decoded go in. */
  attachPipe(pipe: PipeEnd): void {
    this.pipe = pipe;
    this.scheduleFlush();
  }

  /** The pipe has messages to send. Flushed in this turn (nextTick) while the
   * kernel takes everything written; once it holds some back, after a turn of
   * the event loop, so libuv can hand the kernel what is queued as it makes
   * room: encoding on in one long macrotask (a sender that never waits) would
   * leave the peer with nothing to read meanwhile (ipc: ~200 KiB socket
   * buffers, the writer woken only at 1/4 full). */
  scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    ioTurn.pending++;
    if (this.stream.writableLength > 0) setImmediate(this.flushTask);
    else process.nextTick(this.flushTask);
  }

  private readonly flushTask = (): void => {
    ioTurn.pending--;
    this.flushScheduled = false;
    this.flush();
  };

  /** Calls done(true) once the peer has processed everything read from the
   * pipe so far: a PING (with a context of its own) goes out behind those
   * messages and the peer's PONG echoes it, since ZMTP peers handle a
   * connection's commands and messages in order. done(false) if the
   * connection ends first. Needs a ready engine with its pipe attached. */
  sync(done: (ok: boolean) => void): void {
    if (this.closed || !this.ready || this.pipe === undefined) {
      done(false);
      return;
    }
    this.syncQueued.push(done);
    this.scheduleFlush();
  }

  /** The stream ended, closed or failed. Data already received but held for a
   * full pipe is still delivered (as libzmq, which stops reading instead). */
  private peerGone(err: unknown): void {
    if (this.closed) return;
    if (this.lazyStop) {
      this.decodeEagerly();
      if (this.closed) return;
    }
    const d = this.decoder;
    if (this.ready && this.pipe !== undefined && (this.stalled.length > 0 || (d !== undefined && (d.suspended || d.pendingBytes > 0)))) {
      this.peerEnded ??= err;
      return;
    }
    this.fail(this.ready ? "active" : "handshake", "other", err);
  }

  /** Decode what is held up to the HWM, as if DECODED_AHEAD did not exist. */
  private decodeEagerly(): void {
    this.eager = true;
    try {
      this.resumeInput();
    } finally {
      this.eager = false;
    }
  }

  /** A reader that has not caught up within a turn is not keeping pace: the
   * commands behind its messages (a PING owed a PONG) and the peer's close
   * must not wait for it, so everything up to the HWM is decoded, as libzmq
   * does. A reader that keeps pace has cleared the lazy stop by now. */
  private readonly lazyExpired = (): void => {
    this.lazyCheck = false;
    if (this.lazyStop && !this.closed) this.decodeEagerly();
  };

  /** The pipe has room again: deliver what was held and read the stream again. */
  resumeInput(): void {
    if (!this.inputStopped || this.closed) return;
    const pipe = this.pipe;
    if (pipe === undefined) return;
    this.lazyStop = false;
    while (this.stalled.length > 0) {
      if (!pipe.write(this.stalled[0]!)) return;
      this.stalled.shift();
    }
    this.inputStopped = false;
    try {
      this.decoder?.resume();
    } catch (err) {
      this.fail("active", undefined, err);
      return;
    }
    if (!this.inputStopped && this.peerEnded !== undefined) {
      this.fail("active", "other", this.peerEnded);
      return;
    }
    if (!this.inputStopped && this.streamPaused) {
      this.streamPaused = false;
      this.stream.resume();
    }
  }

  /** Close after writing what is queued (the socket closed with linger). The
   * pipe is detached: nothing more is read from it. */
  endGracefully(): void {
    if (this.closed) return;
    this.flush();
    this.pipe = undefined;
    this.ending = true;
    // no more PINGs: a write after end() would destroy the stream and lose
    // what is still buffered
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    for (const t of [this.heartbeatDeadline, this.ttlTimer]) if (t !== undefined) clearTimeout(t);
    // Inbound is dropped from now on: release what was held for the pipe and
    // read again, or a paused stream never sees the peer's FIN (fd leak).
    this.stalled = [];
    this.inputStopped = false;
    this.lazyStop = false;
    try {
      this.decoder?.resume();
    } catch {
      // garbage after we stopped caring: the stream ends anyway
    }
    if (this.peerEnded !== undefined) {
      this.fail("active", undefined, this.peerEnded);
      return;
    }
    if (this.streamPaused) {
      this.streamPaused = false;
      this.stream.resume();
    }
    this.stream.ref();
    if (!this.waitingDrain) this.finishEnding();
  }

  private finishEnding(): void {
    if (this.closed) return;
    this.stream.end();
    // the peer answers our FIN; if it never does, destroy() comes from the linger timer
  }

  /** Close now, dropping whatever is unsent. */
  destroy(): void {
    if (this.closed) return;
    this.fail(this.ready ? "active" : "handshake", undefined, undefined, true);
  }

  /** Direct reads (a stream made with net's `onread`, see transports/stream.ts):
   * where the next read may land, the rest of a large body being assembled;
   * undefined means "a fresh buffer, then input()". */
  readTarget(): Buffer | undefined {
    if (this.closed || this.inputStopped || !this.ready) return undefined;
    return this.decoder?.readTarget(DIRECT_READ_MIN);
  }

  /** `n` bytes were read into the Buffer readTarget() returned. */
  directRead(n: number): void {
    if (this.closed) return;
    this.received++;
    try {
      this.decoder!.wrote(n);
    } catch (err) {
      this.fail("active", "protocol", err);
    }
  }

  /** Bytes read from the stream, when they do not come as 'data' events. */
  input(chunk: Buffer): void {
    this.onData(chunk);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.received++;
    try {
      if (this.decoder === undefined) {
        const r = this.greeting.feed(chunk);
        if (r.state === "need-more") return;
        if (r.state === "error") throw protocolError(r.zmtpCode, r.reason);
        this.onGreeting(r.greeting.major, r.greeting.minor, r.greeting.mechanism, r.greeting.asServer);
        if (r.rest.length > 0) this.decoder!.push(r.rest);
        return;
      }
      this.decoder.push(chunk);
      // bytes pile up while decoding waits for the reader: decode up to the HWM
      if (this.lazyStop && this.decoder.pendingBytes >= MAX_HELD) this.decodeEagerly();
      // memory bound while the pipe is full: HWM messages plus MAX_HELD bytes
      if (this.inputStopped && !this.streamPaused && this.decoder.pendingBytes >= MAX_HELD) {
        this.streamPaused = true;
        this.stream.pause();
      }
    } catch (err) {
      this.fail(this.ready ? "active" : "handshake", "protocol", err);
    }
  }

  private onGreeting(_major: number, minor: number, mechanism: string, asServer: boolean): void {
    const m = this.o.mechanism;
    if (mechanism !== m.name) {
      throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, `peer mechanism ${mechanism}, ours ${m.name}`);
    }
    // RFC 23: NULL has no roles; PLAIN/CURVE need exactly one server
    if (m.name !== "NULL" && asServer === m.asServer) {
      throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, "both peers are security servers (or both clients)");
    }
    this.peerMinor = minor;
    this.decoder = new ZmtpDecoder(
      {
        onMessage: (msg) => this.onMessage(msg),
        onCommand: (name, data) => this.onCommand(name, data),
      },
      { maxMessageSize: this.o.maxMessageSize, maxCommandSize: HANDSHAKE_COMMAND_MAX },
    );
    m.setWake?.(() => this.pollMechanism());
    this.sendCommands(m.start());
  }

  private pollMechanism(): void {
    const m = this.o.mechanism;
    try {
      if (m.poll) this.sendCommands(m.poll());
      this.checkHandshakeDone();
    } catch (err) {
      this.fail("handshake", authOrProtocol(err), err);
    }
  }

  private sendCommands(cmds: Command[]): void {
    for (const c of cmds) this.encoder.writeCommand(c.name, c.data);
    this.writeBatch();
  }

  private onCommand(name: string, data: Buffer): void {
    if (!this.ready) {
      this.sendCommands(this.o.mechanism.onCommand(name, data));
      this.checkHandshakeDone();
      return;
    }
    switch (name) {
      case CMD_PING: {
        const { ttl, context } = parsePing(data);
        const pong = pongCommand(context);
        if (this.waitingDrain) {
          // a peer that PINGs while not reading gets one PONG, not one each
          this.pendingPong = pong.data;
        } else {
          // PONGs of one read go out together, in the next flush
          this.encoder.writeCommand(pong.name, pong.data);
          this.scheduleFlush();
        }
        if (ttl > 0) this.armTtl(ttl * 100);
        return;
      }
      case CMD_PONG: {
        const key = data.toString("hex");
        const done = this.syncSent.get(key);
        if (done !== undefined) {
          this.syncSent.delete(key);
          done(true);
        }
        return;
      }
      case CMD_SUBSCRIBE:
      case CMD_CANCEL:
        // 3.1 subscriptions become the pipe's \x01/\x00 messages (patterns never see the wire)
        if (this.takesSubscriptions) this.onMessage(subscriptionMessage(name === CMD_SUBSCRIBE, data));
        return;
      case CMD_ERROR:
        throw new ZmtpError("EPROTO", "ERR_ZMTP_ERROR", "peer sent ERROR");
      default:
        // RFC 37: unknown commands are ignored
        return;
    }
  }

  private checkHandshakeDone(): void {
    const m = this.o.mechanism;
    if (this.ready || !m.done || this.closed) return;
    this.ready = true;
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.decoder!.maxCommandSize = -1;
    this.startHeartbeats();
    this.owner.engineReady(this, m.peer!);
  }

  private onMessage(msg: Msg): boolean | void {
    if (!this.ready) throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, "message before the handshake completed");
    const pipe = this.pipe;
    if (pipe === undefined) return; // ending: inbound is dropped
    if (!this.inputStopped && pipe.write(msg)) {
      if (pipe.outboundLength >= DECODED_AHEAD && !this.eager) {
        pipe.pauseWriting(DECODED_AHEAD >> 1);
        this.inputStopped = true;
        this.lazyStop = true;
        if (!this.lazyCheck) {
          this.lazyCheck = true;
          setImmediate(this.lazyExpired);
        }
        return false;
      }
      return;
    }
    // The decoder stops here and keeps the rest of the chunk; the stream is
    // paused only once a fair amount is held (onData), so a pipe that fills
    // and drains within one chunk costs no pause/resume round trip.
    this.stalled.push(msg);
    this.inputStopped = true;
    return false;
  }

  /** Move queued messages from the pipe into one batch and write it. */
  private flush(): void {
    const pipe = this.pipe;
    if (this.closed || !this.ready || this.waitingDrain) return;
    if (pipe === undefined) {
      this.writeBatch();
      return;
    }
    const enc = this.encoder;
    let msg: Msg | undefined;
    let more = false;
    while ((msg = pipe.read()) !== undefined) {
      if (this.sendsSubscriptions && msg.length === 1) {
        const f = msg[0]!;
        if (f.length > 0 && (f[0] === 1 || f[0] === 0)) {
          enc.writeSubscription(f[0] === 1, f.subarray(1), this.peerMinor);
          continue;
        }
      }
      enc.writeMessage(msg);
      if (enc.length >= BATCH_BYTES) {
        more = true;
        break;
      }
    }
    // the pipe is empty: sync PINGs go behind everything read from it
    if (!more && this.syncQueued.length > 0) {
      for (const done of this.syncQueued.splice(0)) {
        const ctx = Buffer.allocUnsafe(8);
        ctx.writeDoubleBE(++syncCounter);
        this.syncSent.set(ctx.toString("hex"), done);
        const ping = pingCommand(0, ctx);
        enc.writeCommand(ping.name, ping.data);
      }
    }
    this.writeBatch();
    if (more && !this.waitingDrain) this.scheduleFlush();
  }

  private writeBatch(): void {
    if (this.encoder.length === 0 || this.closed) return;
    if (this.stream.writableEnded) {
      this.encoder.take();
      return;
    }
    const enc = this.encoder;
    const chunks = enc.take();
    const batch = enc.lastBatch;
    // once written, the batch's slabs may be reused (no allocation per batch)
    const written = (err?: Error | null) => {
      if (!err) enc.released(batch);
    };
    const s = this.stream;
    let ok = true;
    const last = chunks.length - 1;
    if (last === 0) ok = s.write(chunks[0]!, written);
    else {
      s.cork();
      for (let i = 0; i < last; i++) s.write(chunks[i]!);
      ok = s.write(chunks[last]!, written);
      s.uncork();
    }
    if (!ok && s.writableLength >= MAX_UNSENT) this.waitingDrain = true;
  }

  private startHeartbeats(): void {
    const ivl = this.o.heartbeatInterval;
    if (ivl <= 0) return;
    const timeout = this.o.heartbeatTimeout >= 0 ? this.o.heartbeatTimeout : ivl;
    const ttl = Math.floor(this.o.heartbeatTimeToLive / 100);
    this.heartbeatTimer = setInterval(() => {
      const ping = pingCommand(ttl);
      this.encoder.writeCommand(ping.name, ping.data);
      this.writeBatch();
      if (this.heartbeatDeadline === undefined && timeout > 0) {
        const seen = this.received;
        this.heartbeatDeadline = setTimeout(() => {
          this.heartbeatDeadline = undefined;
          if (this.received === seen) this.fail("active", undefined, new ZmqError("ETIMEDOUT", "heartbeat timed out"));
        }, timeout);
        this.heartbeatDeadline.unref();
      }
    }, ivl);
    this.heartbeatTimer.unref();
  }

  private armTtl(ms: number): void {
    if (this.ttlTimer !== undefined) clearTimeout(this.ttlTimer);
    const seen = this.received;
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = undefined;
      if (this.received === seen) this.fail("active", undefined, new ZmqError("ETIMEDOUT", "peer heartbeat TTL expired"));
    }, ms);
    this.ttlTimer.unref();
  }

  private fail(phase: "handshake" | "active", kind: EngineEnd["kind"], err: unknown, quiet = false): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.handshakeTimer, this.heartbeatDeadline, this.ttlTimer, this.finTimer]) if (t !== undefined) clearTimeout(t);
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.stalled = [];
    this.pipe = undefined;
    this.stream.destroy();
    const error = err === undefined ? undefined : zmqErrorOf(err);
    this.owner.engineClosed(this, {
      phase: this.ready ? "active" : phase,
      kind: this.ready || quiet ? undefined : (kind ?? "other"),
      error,
    });
    // after engineClosed, so the owner sees its new state when it retries
    const syncs = [...this.syncQueued, ...this.syncSent.values()];
    this.syncQueued = [];
    this.syncSent.clear();
    for (const done of syncs) done(false);
  }
}

function authOrProtocol(err: unknown): "auth" | "protocol" {
  return (err as ZmtpError)?.status !== undefined ? "auth" : "protocol";
}

function zmqErrorOf(err: unknown): ZmqError {
  if (err instanceof ZmqError) return err;
  if (typeof err === "string") return new ZmqError(err);
  const e = err as NodeJS.ErrnoException;
  return new ZmqError(typeof e?.code === "string" ? e.code : "EPROTO", e?.message ?? String(err), { cause: err });
}
