// The engine's inbound half: decoded messages into the session's pipe, with
// back-pressure. Decoding stops DECODED_AHEAD messages ahead of a reader that
// keeps pace; a full pipe suspends the decoder and, past MAX_HELD waiting
// bytes, pauses the stream until the pipe has room, so TCP itself pushes back
// and memory stays bounded by the HWMs.
import type { ZmqError } from "../core/errors.js";
import { toZmqError } from "../core/errors.js";
import type { Msg, MessageMeta } from "../core/message.js";
import type { PipeEnd } from "../core/pipe.js";
import type { MessageSink } from "./assembler.js";
import type { EngineStream } from "./engine.js";
import type { FrameDecoder } from "./framing.js";

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
/** Messages a reader takes within a turn to count as keeping pace. */
const KEEPS_PACE = DECODED_AHEAD / 4;

/** Decoding into the pipe; stopped DECODED_AHEAD ahead of a reader with room
 * left (for one turn); stopped on a full pipe. */
type State = "flowing" | "ahead" | "stalled";

export interface InboundHost {
  /** Commands go to the engine. */
  onCommand(name: string, data: Buffer): void;
  /** Give the connection up (a decoding error, or the peer gone once what it
   * sent has been delivered). */
  giveUp(err: unknown): void;
  readonly closed: boolean;
}

export class Inbound implements MessageSink {
  /** Where messages go; undefined before the handshake and while lingering
   * (inbound is then dropped). */
  pipe: PipeEnd | undefined;
  decoder: FrameDecoder | undefined;
  /** Given to every message (connections whose mechanism reports a User-Id). */
  meta: MessageMeta | undefined;
  private state: State = "flowing";
  /** Messages decoded while the pipe was full. */
  private held: Msg[] = [];
  /** Decoding what piled up: up to the HWM, DECODED_AHEAD does not apply. */
  private decodeAll = false;
  /** A check is due next turn: an "ahead" stop lasts one turn of the event loop. */
  private aheadCheck = false;
  /** Messages written into the pipe, and how many the reader had taken when
   * the check was armed. */
  private wrote = 0;
  private aheadMark = 0;
  private streamPaused = false;
  /** The peer closed while received data was still held for a full pipe: the
   * connection ends once that data has been delivered. */
  private ended: ZmqError | undefined;

  constructor(
    private readonly stream: EngineStream,
    private readonly host: InboundHost,
  ) {}

  /** The peer has gone; what it sent is still being delivered. */
  get peerEnded(): ZmqError | undefined {
    return this.ended;
  }

  onCommand(name: string, data: Buffer): void {
    this.host.onCommand(name, data);
  }

  /** A whole message. false suspends the decoder after it. */
  onMessage(msg: Msg): boolean | void {
    const meta = this.meta;
    if (meta !== undefined) msg.meta = meta;
    const pipe = this.pipe;
    if (pipe === undefined) return; // lingering: inbound is dropped
    if (this.state === "flowing" && pipe.write(msg)) {
      this.wrote++;
      if (pipe.outboundLength >= DECODED_AHEAD && !this.decodeAll) {
        pipe.pauseWriting(DECODED_AHEAD >> 1);
        this.state = "ahead";
        this.armAheadCheck(pipe);
        return false;
      }
      return;
    }
    // The decoder stops here and keeps the rest of the chunk; the stream is
    // paused only once a fair amount is held (push), so a pipe that fills
    // and drains within one chunk costs no pause/resume round trip.
    this.held.push(msg);
    this.state = "stalled";
    return false;
  }

  /** Bytes from the stream. Throws what the decoder throws. */
  push(chunk: Buffer): void {
    const d = this.decoder!;
    d.push(chunk);
    // bytes pile up while decoding waits for the reader: decode up to the HWM
    if (this.state === "ahead" && d.pendingBytes >= MAX_HELD) this.decodeEagerly();
    // memory bound while the pipe is full: HWM messages plus MAX_HELD bytes
    if (this.state !== "flowing" && !this.streamPaused && d.pendingBytes >= MAX_HELD) {
      this.streamPaused = true;
      this.stream.pause();
    }
  }

  /** Where a direct read may land (decoding flows and a large body is open). */
  readTarget(min: number): Buffer | undefined {
    return this.state === "flowing" ? this.decoder?.readTarget(min) : undefined;
  }

  /** The pipe has room again: deliver what was held and decode again. */
  pipeWritable(): void {
    if (this.state === "flowing" || this.host.closed) return;
    const pipe = this.pipe;
    if (pipe === undefined) return;
    this.state = "flowing";
    while (this.held.length > 0) {
      if (!pipe.write(this.held[0]!)) {
        this.state = "stalled";
        return;
      }
      this.wrote++;
      this.held.shift();
    }
    try {
      this.decoder?.resume();
    } catch (err) {
      this.host.giveUp(err);
      return;
    }
    if (this.state !== "flowing") return;
    if (this.ended !== undefined) {
      this.host.giveUp(this.ended);
      return;
    }
    this.resumeStream();
  }

  /** The stream ended, closed or failed: true if the connection stays up to
   * deliver data already received but held for a full pipe (as libzmq, which
   * stops reading instead), false if it should close now. */
  peerGone(err: unknown): boolean {
    if (this.state === "ahead") {
      this.decodeEagerly();
      if (this.host.closed) return true;
    }
    const d = this.decoder;
    if (this.pipe !== undefined && (this.held.length > 0 || (d !== undefined && (d.suspended || d.pendingBytes > 0)))) {
      this.ended ??= toZmqError(err);
      return true;
    }
    return false;
  }

  /** Lingering: drop what was held and read on (a paused stream would never
   * see the peer's FIN: an fd leak). Returns the peer's end, if it came. */
  stopDelivering(): ZmqError | undefined {
    this.pipe = undefined;
    this.held = [];
    this.state = "flowing";
    try {
      this.decoder?.resume();
    } catch {
      // garbage after we stopped caring: the stream ends anyway
    }
    if (this.ended === undefined) this.resumeStream();
    return this.ended;
  }

  /** The connection is gone. */
  clear(): void {
    this.pipe = undefined;
    this.held = [];
  }

  private resumeStream(): void {
    if (!this.streamPaused) return;
    this.streamPaused = false;
    this.stream.resume();
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
    if (this.state !== "ahead" || this.host.closed) return;
    // a reader that took a fair share during the turn keeps pace: it gave the
    // turn itself (socket.ts: an await loop lets the event loop turn now and
    // then), so look again after the next one
    const pipe = this.pipe;
    if (pipe !== undefined && this.taken(pipe) - this.aheadMark >= KEEPS_PACE) this.armAheadCheck(pipe);
    else this.decodeEagerly();
  };

  /** Messages the reader has taken from the pipe, in all. */
  private taken(pipe: PipeEnd): number {
    return this.wrote - pipe.outboundLength;
  }

  private armAheadCheck(pipe: PipeEnd): void {
    if (this.aheadCheck) return;
    this.aheadMark = this.taken(pipe);
    this.aheadCheck = true;
    setImmediate(this.aheadExpired);
  }
}
