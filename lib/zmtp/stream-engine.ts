// One ZeroMQ connection over a byte stream: the codec's preamble, the security
// mechanism's handshake, then frames both ways between the stream and the
// session's pipe end, with heartbeats and flow control. Shared by every
// stream transport (they only make the stream) and by every framing (the
// Codec), and every frame after the handshake passes the mechanism's
// transform, if it has one.
//
// Flow control: outbound, whole messages are read from the pipe into one
// batch per flush (scheduled with nextTick so a burst of sends becomes one
// write, or after an I/O turn while the kernel holds writes back) and reading
// stops while the stream wants 'drain'. Inbound, decoding stops DECODED_AHEAD
// messages ahead of a reader that keeps pace; a full pipe suspends the decoder
// and, past MAX_HELD waiting bytes, pauses the stream until the pipe has room,
// so TCP itself pushes back and memory stays bounded by the HWMs.
import { ZmqError } from "../core/errors.js";
import { ioTurn } from "../core/io-turn.js";
import type { Msg, MessageMeta } from "../core/message.js";
import type { PipeEnd } from "../core/pipe.js";
import { MessageAssembler, type MessageSink } from "./assembler.js";
import { parsePing, pingCommand, pongCommand, subscriptionMessage } from "./commands.js";
import {
  CMD_CANCEL, CMD_ERROR, CMD_PING, CMD_PONG, CMD_SUBSCRIBE, ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
  ERR_ZMTP_MECHANISM_MISMATCH, FLAG_COMMAND, FLAG_MORE, PING_MAX_CONTEXT, PING_MIN_DATA, ZmtpError, protocolError,
} from "./constants.js";
import type { Engine, EngineEnd, EngineOwner } from "./engine.js";
import type { Codec, FrameDecoder, FrameEncoder, FrameSink, PeerPreamble } from "./framing.js";
import { Heartbeats } from "./heartbeats.js";
import { type FrameTransform, type Mechanism, handshakeErrorKind } from "./mechanisms/mechanism.js";

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
 * maximum (+30 MiB RSS). After one turn of the event loop without the reader
 * catching up, past MAX_HELD waiting bytes, or when the peer closes, decoding
 * goes on up to the HWM. */
const DECODED_AHEAD = 256;
/** Direct reads only for bodies missing at least this much: below it a read
 * into a fresh 64 KiB buffer, which may also hold the next frames, does better. */
const DIRECT_READ_MIN = 64 * 1024;
/** After our FIN, how long to wait for the peer's before closing the fd. */
const FIN_WAIT_MS = 30_000;
/** Largest command accepted during the handshake (READY metadata...). */
export const HANDSHAKE_COMMAND_MAX = 64 * 1024;
/** Longest topic a SUBSCRIBE/CANCEL may carry (the XPUB topic cap). */
export const MAX_TOPIC_BYTES = 64 * 1024;
/** Largest command frame accepted after the handshake, checked at its header:
 * a SUBSCRIBE of the longest topic (name byte, name, topic); PING, PONG and
 * ERROR are then held to their own sizes, unknown commands to this. */
export const ACTIVE_COMMAND_MAX = 1 + 255 + MAX_TOPIC_BYTES;

/** The part of a net.Socket (or TLS socket, or an adapter) the engine uses. */
export interface EngineStream {
  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  readonly writableEnded: boolean;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
  ref(): unknown;
  unref(): unknown;
  /** "data" (a Buffer), "drain", "error", "close", "end", "finish". */
  on(event: string, fn: (...args: any[]) => void): unknown;
}

export interface EngineOptions {
  maxMessageSize: number;
  handshakeInterval: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  mechanism: Mechanism;
  /** The socket type turns 0x01/0x00 pipe messages into SUBSCRIBE/CANCEL (SUB, XSUB)... */
  sendsSubscriptions: boolean;
  /** ...or SUBSCRIBE/CANCEL into pipe messages (PUB, XPUB). */
  takesSubscriptions: boolean;
  /** The peer's address, for received messages' metadata (Peer-Address). */
  peerAddress?: string;
}

type Phase = "greeting" | "handshake" | "active" | "ending" | "closed";
/** Inbound: decoding into the pipe; stopped DECODED_AHEAD ahead of a reader
 * with room left (for one turn); stopped on a full pipe. */
type Inflow = "flowing" | "ahead" | "stalled";

export class StreamEngine implements Engine, MessageSink {
  private phase: Phase = "greeting";
  private inflow: Inflow = "flowing";
  private decoder: FrameDecoder | undefined;
  private readonly encoder: FrameEncoder;
  private readonly assembler: MessageAssembler;
  private transform: FrameTransform | undefined;
  private peer: PeerPreamble | undefined;
  private pipe: PipeEnd | undefined;
  /** Metadata given to every received message (connections whose mechanism
   * reports a User-Id; none under NULL). */
  private meta: MessageMeta | undefined;
  /** Messages decoded while the pipe was full. */
  private held: Msg[] = [];
  /** Decoding what piled up: up to the HWM, DECODED_AHEAD does not apply. */
  private decodeAll = false;
  /** A check is due next turn: an "ahead" stop lasts one turn of the event loop. */
  private aheadCheck = false;
  private streamPaused = false;
  /** The peer closed while received data was still held for a full pipe: the
   * engine ends once that data has been delivered, and reads nothing more from
   * the pipe meanwhile (it stays queued for the next connection). */
  private peerEnded: ZmqError | undefined;
  private flushScheduled = false;
  private waitingDrain = false;
  /** A PONG owed while the stream wanted 'drain' (only the latest is kept). */
  private pendingPong: Buffer | undefined;
  private finTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly heartbeats: Heartbeats;
  /** Bumped on every inbound read: heartbeat timers compare it to see silence. */
  received = 0;

  constructor(
    private readonly stream: EngineStream,
    private readonly codec: Codec,
    private readonly o: EngineOptions,
    private readonly owner: EngineOwner,
  ) {
    this.encoder = codec.encoder;
    this.assembler = new MessageAssembler(this, { maxMessageSize: o.maxMessageSize, maxCommandSize: HANDSHAKE_COMMAND_MAX });
    this.assembler.acceptData = false;
    this.heartbeats = new Heartbeats(o, {
      received: () => this.received,
      ping: (ttl) => {
        const ping = pingCommand(ttl);
        this.writeCommand(ping.name, ping.data);
        this.writeBatch();
      },
      expired: (err) => this.fail("active", undefined, err),
    });
    stream.on("data", (c: Buffer) => this.onData(c));
    stream.on("drain", () => this.onDrain());
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
    const first = codec.preamble.start();
    if (first !== undefined) stream.write(first);
  }

  get isReady(): boolean {
    return this.phase === "active";
  }

  attachPipe(pipe: PipeEnd): void {
    this.pipe = pipe;
    this.pipeReadable();
  }

  /** Flushed in this turn (nextTick) while the kernel takes everything
   * written; once it holds some back, after a turn of the event loop, so libuv
   * can hand the kernel what is queued as it makes room: encoding on in one
   * long macrotask (a sender that never waits) would leave the peer with
   * nothing to read meanwhile (ipc: ~200 KiB socket buffers, the writer woken
   * only at 1/4 full). */
  pipeReadable(): void {
    if (this.flushScheduled || this.phase === "closed") return;
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

  /** The pipe has room again: deliver what was held and decode again. */
  pipeWritable(): void {
    if (this.inflow === "flowing" || this.phase === "closed") return;
    const pipe = this.pipe;
    if (pipe === undefined) return;
    this.inflow = "flowing";
    while (this.held.length > 0) {
      if (!pipe.write(this.held[0]!)) {
        this.inflow = "stalled";
        return;
      }
      this.held.shift();
    }
    try {
      this.decoder?.resume();
    } catch (err) {
      this.fail("active", undefined, err);
      return;
    }
    if (this.inflow !== "flowing") return;
    if (this.peerEnded !== undefined) {
      this.fail("active", "other", this.peerEnded);
      return;
    }
    if (this.streamPaused) {
      this.streamPaused = false;
      this.stream.resume();
    }
  }

  endGracefully(): void {
    if (this.phase === "closed") return;
    this.flush();
    this.pipe = undefined;
    this.phase = "ending";
    // no more PINGs: a write after end() would destroy the stream and lose
    // what is still buffered
    this.heartbeats.stop();
    // Inbound is dropped from now on: release what was held for the pipe and
    // read again, or a paused stream never sees the peer's FIN (fd leak).
    this.held = [];
    this.inflow = "flowing";
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
    if (!this.waitingDrain) this.stream.end();
    // the peer answers our FIN; if it never does, destroy() comes from the linger timer
  }

  destroy(): void {
    if (this.phase === "closed") return;
    this.fail(this.isReady ? "active" : "handshake", undefined, undefined, true);
  }

  /** Direct reads (a stream made with net's `onread`, see transports/stream.ts):
   * where the next read may land, the rest of a large body being assembled;
   * undefined means "a fresh buffer, then input()". */
  readTarget(): Buffer | undefined {
    if (this.phase !== "active" || this.inflow !== "flowing") return undefined;
    return this.decoder!.readTarget(DIRECT_READ_MIN);
  }

  /** `n` bytes were read into the Buffer readTarget() returned. */
  directRead(n: number): void {
    if (this.phase === "closed") return;
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

  // --- inbound

  private onData(chunk: Buffer): void {
    if (this.phase === "closed") return;
    this.received++;
    try {
      const d = this.decoder;
      if (d === undefined) {
        const r = this.codec.preamble.feed(chunk, (b) => this.stream.write(b));
        if (r === undefined) return;
        this.onPreamble(r.peer);
        if (r.rest.length > 0) this.decoder!.push(r.rest);
        return;
      }
      d.push(chunk);
      // bytes pile up while decoding waits for the reader: decode up to the HWM
      if (this.inflow === "ahead" && d.pendingBytes >= MAX_HELD) this.decodeEagerly();
      // memory bound while the pipe is full: HWM messages plus MAX_HELD bytes
      if (this.inflow !== "flowing" && !this.streamPaused && d.pendingBytes >= MAX_HELD) {
        this.streamPaused = true;
        this.stream.pause();
      }
    } catch (err) {
      this.fail(this.isReady ? "active" : "handshake", handshakeErrorKind(err), err);
    }
  }

  private onPreamble(peer: PeerPreamble): void {
    const m = this.o.mechanism;
    if (peer.mechanism !== m.name) {
      throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, `peer mechanism ${peer.mechanism}, ours ${m.name}`);
    }
    // RFC 23: NULL has no roles; PLAIN/CURVE need exactly one server
    if (m.name !== "NULL" && peer.asServer === m.asServer) {
      throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, "both peers are security servers (or both clients)");
    }
    this.peer = peer;
    this.phase = "handshake";
    this.decoder = this.codec.decoder(this.assembler, peer);
    m.setWake?.(() => this.pollMechanism());
    this.sendCommands(m.start());
  }

  private pollMechanism(): void {
    const m = this.o.mechanism;
    if (this.phase !== "handshake") return;
    try {
      if (m.poll) this.sendCommands(m.poll());
      this.checkHandshakeDone();
    } catch (err) {
      this.fail("handshake", handshakeErrorKind(err), err);
    }
  }

  private sendCommands(cmds: Array<{ name: string; data: Buffer }>): void {
    for (const c of cmds) this.encoder.writeCommand(c.name, c.data);
    this.writeBatch();
  }

  private checkHandshakeDone(): void {
    const m = this.o.mechanism;
    if (this.phase !== "handshake" || !m.done) return;
    this.phase = "active";
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    const a = this.assembler;
    a.acceptData = true;
    a.maxCommandSize = ACTIVE_COMMAND_MAX;
    const t = m.transform;
    if (t !== undefined) {
      this.transform = t;
      this.decoder!.sink = new OpeningSink(t, a);
    }
    const peer = m.peer!;
    if (peer.properties.has("User-Id")) this.meta = { properties: connectionProperties(peer.properties, this.o.peerAddress) };
    this.heartbeats.start();
    this.owner.engineReady(this, peer);
  }

  /** MessageSink: a command, during the handshake or after it. */
  onCommand(name: string, data: Buffer): void {
    if (this.phase === "handshake") {
      this.sendCommands(this.o.mechanism.onCommand(name, data));
      this.checkHandshakeDone();
      return;
    }
    switch (name) {
      case CMD_PING: {
        if (data.length > PING_MIN_DATA + PING_MAX_CONTEXT) throw malformed(`PING of ${data.length} data bytes (at most ${PING_MIN_DATA + PING_MAX_CONTEXT})`);
        const { ttl, context } = parsePing(data);
        const pong = pongCommand(context);
        if (this.waitingDrain) {
          // a peer that PINGs while not reading gets one PONG, not one each
          this.pendingPong = pong.data;
        } else {
          // PONGs of one read go out together, in the next flush
          this.writeCommand(pong.name, pong.data);
          this.pipeReadable();
        }
        if (ttl > 0) this.heartbeats.peerTtl(ttl * 100);
        return;
      }
      case CMD_PONG:
        if (data.length > PING_MAX_CONTEXT) throw malformed(`PONG of ${data.length} bytes (at most ${PING_MAX_CONTEXT})`);
        return;
      case CMD_SUBSCRIBE:
      case CMD_CANCEL:
        if (data.length > MAX_TOPIC_BYTES) throw new ZmtpError("EMSGSIZE", ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, `${name} topic of ${data.length} bytes exceeds ${MAX_TOPIC_BYTES}`);
        // 3.1 subscriptions become the pipe's \x01/\x00 messages (patterns never see the wire)
        if (this.o.takesSubscriptions) this.onMessage(subscriptionMessage(name === CMD_SUBSCRIBE, data));
        return;
      case CMD_ERROR:
        throw new ZmtpError("EPROTO", "ERR_ZMTP_ERROR", "peer sent ERROR");
      default:
        // RFC 37: unknown commands are ignored
        return;
    }
  }

  /** MessageSink: a whole message. false suspends the decoder after it. */
  onMessage(msg: Msg): boolean | void {
    const meta = this.meta;
    if (meta !== undefined) msg.meta = meta;
    const pipe = this.pipe;
    if (pipe === undefined) return; // ending: inbound is dropped
    if (this.inflow === "flowing" && pipe.write(msg)) {
      if (pipe.outboundLength >= DECODED_AHEAD && !this.decodeAll) {
        pipe.pauseWriting(DECODED_AHEAD >> 1);
        this.inflow = "ahead";
        if (!this.aheadCheck) {
          this.aheadCheck = true;
          setImmediate(this.aheadExpired);
        }
        return false;
      }
      return;
    }
    // The decoder stops here and keeps the rest of the chunk; the stream is
    // paused only once a fair amount is held (onData), so a pipe that fills
    // and drains within one chunk costs no pause/resume round trip.
    this.held.push(msg);
    this.inflow = "stalled";
    return false;
  }

  /** Decode what is held up to the HWM, as if DECODED_AHEAD did not exist. */
  private decodeEagerly(): void {
    this.decodeAll = true;
    try {
      this.pipeWritable();
    } finally {
      this.decodeAll = false;
    }
  }

  /** A reader that has not caught up within a turn is not keeping pace: the
   * commands behind its messages (a PING owed a PONG) and the peer's close
   * must not wait for it, so everything up to the HWM is decoded, as libzmq
   * does. A reader that keeps pace has cleared the stop by now. */
  private readonly aheadExpired = (): void => {
    this.aheadCheck = false;
    if (this.inflow === "ahead" && this.phase !== "closed") this.decodeEagerly();
  };

  /** The stream ended, closed or failed. Data already received but held for a
   * full pipe is still delivered (as libzmq, which stops reading instead). */
  private peerGone(err: unknown): void {
    if (this.phase === "closed") return;
    if (this.inflow === "ahead") {
      this.decodeEagerly();
      if ((this.phase as Phase) === "closed") return;
    }
    const d = this.decoder;
    if (this.phase === "active" && this.pipe !== undefined && (this.held.length > 0 || (d !== undefined && (d.suspended || d.pendingBytes > 0)))) {
      this.peerEnded ??= zmqErrorOf(err);
      return;
    }
    this.fail(this.isReady ? "active" : "handshake", "other", err);
  }

  // --- outbound

  private onDrain(): void {
    this.waitingDrain = false;
    if (this.pendingPong !== undefined) {
      const pong = pongCommand(this.pendingPong);
      this.pendingPong = undefined;
      this.writeCommand(pong.name, pong.data);
    }
    if (this.phase === "ending") {
      this.writeBatch();
      this.stream.end();
    } else this.flush();
  }

  /** A command after the handshake (sealed by the mechanism's transform). */
  private writeCommand(name: string, data: Buffer): void {
    const t = this.transform;
    if (t === undefined) {
      this.encoder.writeCommand(name, data);
      return;
    }
    const body = Buffer.allocUnsafe(1 + name.length + data.length);
    body[0] = name.length;
    body.write(name, 1, "latin1");
    body.set(data, 1 + name.length);
    t.seal(FLAG_COMMAND, body, this.encoder);
  }

  /** Move queued messages from the pipe into one batch and write it. */
  private flush(): void {
    if (this.waitingDrain || this.peerEnded !== undefined) return;
    const pipe = this.pipe;
    if (pipe === undefined || this.phase !== "active") {
      if (this.phase === "active" || this.phase === "ending") this.writeBatch();
      return;
    }
    const enc = this.encoder;
    const t = this.transform;
    const subscriptions = this.o.sendsSubscriptions && this.peer!.subscriptionCommands;
    let msg: Msg | undefined;
    let more = false;
    while ((msg = pipe.read()) !== undefined) {
      if (subscriptions && msg.length === 1) {
        const f = msg[0]!;
        if (f.length > 0 && (f[0] === 1 || f[0] === 0)) {
          this.writeCommand(f[0] === 1 ? CMD_SUBSCRIBE : CMD_CANCEL, f.subarray(1));
          continue;
        }
      }
      if (t === undefined) enc.writeMessage(msg);
      else {
        const last = msg.length - 1;
        for (let i = 0; i <= last; i++) t.seal(i < last ? FLAG_MORE : 0, msg[i]!, enc);
      }
      if (enc.length >= BATCH_BYTES) {
        more = true;
        break;
      }
    }
    this.writeBatch();
    if (more && !this.waitingDrain) this.pipeReadable();
  }

  private writeBatch(): void {
    const enc = this.encoder;
    if (enc.length === 0 || this.phase === "closed") return;
    if (this.stream.writableEnded) {
      enc.take();
      return;
    }
    const chunks = enc.take();
    const batch = enc.lastBatch;
    // once written, the batch's slabs may be reused (no allocation per batch)
    const written = (err?: Error | null) => {
      if (!err) enc.released(batch);
    };
    const s = this.stream;
    let ok: boolean;
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

  private fail(phase: "handshake" | "active", kind: EngineEnd["kind"], err: unknown, quiet = false): void {
    if (this.phase === "closed") return;
    const ready = this.isReady || this.phase === "ending";
    this.phase = "closed";
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    if (this.finTimer !== undefined) clearTimeout(this.finTimer);
    this.heartbeats.stop();
    this.held = [];
    this.pipe = undefined;
    this.stream.destroy();
    this.owner.engineClosed(this, {
      phase: ready ? "active" : phase,
      kind: ready || quiet ? undefined : (kind ?? "other"),
      error: err === undefined ? undefined : zmqErrorOf(err),
    });
  }
}

/** Wire frames through the mechanism's transform, then to the assembler. */
class OpeningSink implements FrameSink {
  constructor(
    private readonly t: FrameTransform,
    private readonly a: MessageAssembler,
  ) {}

  frameHeader(_flags: number, size: number): void {
    // the box's flags and exact size are checked once open; here only the bound
    const allowance = this.a.allowance;
    if (allowance >= 0 && size > allowance + this.t.overhead) {
      throw new ZmtpError("EMSGSIZE", "ERR_ZMTP_UNSPECIFIED", `frame of ${size} bytes exceeds the ${allowance}-byte limit`);
    }
  }

  frame(flags: number, body: Buffer): boolean | void {
    return this.t.open(flags, body, this.a);
  }
}

/** The properties received messages carry: the mechanism's (User-Id, ZAP
 * metadata) and the peer's address, as libzmq's zmq_msg_gets. */
function connectionProperties(props: Map<string, Buffer>, peerAddress: string | undefined): Map<string, Buffer> {
  const out = new Map(props);
  if (peerAddress !== undefined) out.set("Peer-Address", Buffer.from(peerAddress, "latin1"));
  return out;
}

function malformed(message: string): ZmtpError {
  return protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, message);
}

function zmqErrorOf(err: unknown): ZmqError {
  if (err instanceof ZmqError) return err;
  if (typeof err === "string") return new ZmqError(err);
  const e = err as NodeJS.ErrnoException;
  return new ZmqError(typeof e?.code === "string" ? e.code : "EPROTO", e?.message ?? String(err), { cause: err });
}
