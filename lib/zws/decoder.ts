// WebSocket frames (RFC 6455) in, ZWS 2.0 frames (RFC 45) out: each binary
// WebSocket message is one ZeroMQ frame, its first byte the ZWS flags. A
// message in one WebSocket frame (what libzmq and the ws package send) has
// its size in the header: the sink sees it before any body byte is kept, and
// a body lying in one chunk is handed on as a zero-copy view, unmasked in
// place. A fragmented message (browsers split large ones) is collected up to
// maxMessageSize and handed on whole. Control frames go to WsControl.
// Anything RFC 6455 forbids (text frames, reserved bits, a wrongly masked
// frame, a bad continuation) fails the decoder: the connection closes.
import { ChunkDecoder } from "../zmtp/chunk-decoder.js";
import type { FrameSink } from "../zmtp/framing.js";
import { ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, ERR_ZMTP_UNSPECIFIED, FLAG_COMMAND, FLAG_MORE, ZmtpError, protocolError } from "../zmtp/constants.js";
import { MAX_FRAME_SIZE } from "../zmtp/decoder.js";
import {
  CONTROL_MAX, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_PING, OP_PONG, OP_TEXT, WS_FIN, WS_MASKED, WS_RSV, ZWS_COMMAND,
  ZWS_MORE,
} from "./constants.js";
import { applyMask } from "./mask.js";

/** What the decoder does not handle itself: control frames. */
export interface WsControl {
  /** The peer pinged: answer with a pong carrying `payload`. */
  ping(payload: Buffer): void;
  /** The peer sent a close frame (its status code, if any): answer it and end
   * the connection. Nothing after it is decoded. */
  closed(code: number | undefined): void;
}

export interface ZwsDecoderOptions {
  /** We are the server: every frame must be masked; the client: none may be. */
  masked: boolean;
  /** Bound on a fragmented message's bytes (-1: none). A message in one frame
   * is bounded by the sink, at its header. */
  maxMessageSize: number;
  control: WsControl;
}

/** Fragments per message. Each held fragment costs a Buffer object; pieces
 * are merged past FRAGMENTS_MERGE, so this bounds the work a flood of tiny
 * fragments makes, not memory. */
export const MAX_FRAGMENTS = 100_000;
const FRAGMENTS_MERGE = 64;
/** Room a mechanism's box adds around what maxMessageSize bounds (CURVE: 16 + 8 + name). */
const BOX_SLACK = 64;

const S_HEAD = 0;
const S_PAYLOAD = 1;
const S_CLOSED = 2;
/** The current WebSocket frame: a control frame, a whole message, or one fragment. */
const K_CONTROL = 0;
const K_WHOLE = 1;
const K_FRAGMENT = 2;

const EMPTY = Buffer.alloc(0);

export class ZwsDecoder extends ChunkDecoder {
  private state = S_HEAD;
  /** Header bytes that span chunks. */
  private readonly hbuf = Buffer.alloc(14);
  private hhave = 0;
  // the current WebSocket frame
  private kind = K_WHOLE;
  private fin = false;
  private opcode = 0;
  private key = 0;
  /** Payload bytes of this frame still to come, and consumed so far (the mask phase). */
  private need = 0;
  private consumed = 0;
  // a message in one frame
  private flagsPending = false;
  private zflags = 0;
  private pieces: Buffer[] = [];
  private piecesBytes = 0;
  /** pieces[0, merged) are merged copies; the views after them are merged
   * FRAGMENTS_MERGE at a time (only those: merging everything would copy the
   * message so far again each time, quadratic in its fragments). */
  private merged = 0;
  // a fragmented message
  private open = false;
  private openFlags = -1;
  private fragments = 0;
  // a control frame's payload
  private readonly cbuf = Buffer.alloc(CONTROL_MAX);

  constructor(sink: FrameSink, private readonly o: ZwsDecoderOptions) {
    super(sink);
  }

  readTarget(): Buffer | undefined {
    return undefined;
  }

  wrote(): void {
    throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZWS decoder has no direct reads");
  }

  /** Bytes kept undecoded while suspended, handed over whole (the bare
   * preamble stops after the peer's routing id; the engine's decoder takes
   * the rest). The decoder is done with them. */
  takeRest(): Buffer {
    const rest = this.backlog.length === 1 ? this.backlog[0]! : Buffer.concat(this.backlog, this.backlogSize);
    this.backlog = [];
    this.backlogSize = 0;
    return rest;
  }

  protected dropPartial(): void {
    this.pieces = [];
    this.piecesBytes = 0;
    this.merged = 0;
  }

  protected decode(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.state === S_CLOSED) return;
      if (this.state === S_HEAD) {
        pos = this.readHeader(chunk, pos);
      } else {
        const n = Math.min(this.need, len - pos);
        if (this.kind === K_WHOLE) this.wholePayload(chunk, pos, n);
        else if (this.kind === K_FRAGMENT) this.fragmentPayload(chunk, pos, n);
        else this.controlPayload(chunk, pos, n);
        pos += n;
      }
      if (this.isSuspended) {
        this.keep(chunk, pos);
        return;
      }
    }
  }

  /** Parse a frame header from chunk[pos...] (or the bytes kept from the last
   * chunk); returns the new position. */
  private readHeader(chunk: Buffer, pos: number): number {
    const avail = chunk.length - pos;
    if (this.hhave === 0 && avail >= 2 && avail >= headerLength(chunk[pos + 1]!)) {
      this.header(chunk, pos);
      return pos + headerLength(chunk[pos + 1]!);
    }
    const h = this.hbuf;
    if (this.hhave < 2) {
      const n = Math.min(2 - this.hhave, avail);
      chunk.copy(h, this.hhave, pos, pos + n);
      this.hhave += n;
      pos += n;
      if (this.hhave < 2) return pos;
    }
    const total = headerLength(h[1]!);
    const n = Math.min(total - this.hhave, chunk.length - pos);
    chunk.copy(h, this.hhave, pos, pos + n);
    this.hhave += n;
    pos += n;
    if (this.hhave < total) return pos;
    this.hhave = 0;
    this.header(h, 0);
    return pos;
  }

  /** A whole header at b[o]: check it, then start the frame's payload. */
  private header(b: Buffer, o: number): void {
    const b0 = b[o]!;
    const b1 = b[o + 1]!;
    if ((b0 & WS_RSV) !== 0) throw wsError("a WebSocket frame with reserved bits set (no extension was negotiated)");
    if (((b1 & WS_MASKED) !== 0) !== this.o.masked) {
      throw wsError(this.o.masked ? "an unmasked frame from a WebSocket client" : "a masked frame from a WebSocket server");
    }
    let size = b1 & 0x7f;
    let at = o + 2;
    if (size === 126) {
      size = (b[at]! << 8) | b[at + 1]!;
      at += 2;
    } else if (size === 127) {
      const hi = b.readUInt32BE(at);
      if (hi >= 0x80000000) throw wsError("a WebSocket frame length with the high bit set");
      size = hi * 4294967296 + b.readUInt32BE(at + 4);
      if (size > MAX_FRAME_SIZE) throw new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, `WebSocket frame of ${size} bytes exceeds what this process can hold`);
      at += 8;
    }
    this.key = this.o.masked ? b.readUInt32BE(at) : 0;
    this.fin = (b0 & WS_FIN) !== 0;
    this.opcode = b0 & 0x0f;
    this.need = size;
    this.consumed = 0;
    this.state = S_PAYLOAD;
    switch (this.opcode) {
      case OP_BINARY:
        if (this.open) throw wsError("a new WebSocket message inside a fragmented one");
        if (this.fin) {
          // libzmq: a binary message has at least its flags byte
          if (size === 0) throw wsError("an empty WebSocket message (no ZWS flags byte)");
          this.kind = K_WHOLE;
          this.flagsPending = true;
          return;
        }
        this.open = true;
        this.openFlags = -1;
        this.fragments = 0;
        this.fragment(size);
        return;
      case OP_CONTINUATION:
        if (!this.open) throw wsError("a continuation frame outside a fragmented message");
        this.fragment(size);
        return;
      case OP_CLOSE:
      case OP_PING:
      case OP_PONG:
        if (!this.fin) throw wsError("a fragmented WebSocket control frame");
        if (size > CONTROL_MAX) throw wsError(`a WebSocket control frame of ${size} bytes (at most ${CONTROL_MAX})`);
        this.kind = K_CONTROL;
        if (size === 0) this.control(EMPTY);
        return;
      case OP_TEXT:
        throw wsError("a text WebSocket frame (ZWS carries binary frames only)");
      default:
        throw wsError(`an unknown WebSocket opcode ${this.opcode}`);
    }
  }

  /** Payload bytes of a whole-message frame: the flags byte, then the body. */
  private wholePayload(chunk: Buffer, pos: number, n: number): void {
    if (this.o.masked) applyMask(chunk, pos, pos + n, this.key, this.consumed);
    this.consumed += n;
    if (this.flagsPending) {
      this.flagsPending = false;
      this.zflags = zmtpFlags(chunk[pos]!);
      this.need -= 1;
      // the body's size is known before any of it is kept
      this.sink.frameHeader(this.zflags, this.need);
      pos++;
      n--;
      if (this.need === 0) {
        this.endFrame(EMPTY);
        return;
      }
      if (n === 0) return;
    }
    if (this.pieces.length === 0 && n === this.need) {
      this.need = 0;
      this.endFrame(Buffer.from(chunk.buffer, chunk.byteOffset + pos, n));
      return;
    }
    this.pieces.push(chunk.subarray(pos, pos + n));
    this.piecesBytes += n;
    this.need -= n;
    if (this.need > 0) return;
    const body = Buffer.concat(this.pieces, this.piecesBytes);
    this.pieces = [];
    this.piecesBytes = 0;
    this.endFrame(body);
  }

  /** A fragment's header: the message so far plus this fragment within bounds. */
  private fragment(size: number): void {
    this.kind = K_FRAGMENT;
    if (++this.fragments > MAX_FRAGMENTS) throw new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, `a WebSocket message in more than ${MAX_FRAGMENTS} fragments`);
    const max = this.o.maxMessageSize;
    const body = this.piecesBytes + size - (this.openFlags < 0 ? 1 : 0);
    if (max >= 0 && body > max + BOX_SLACK) {
      throw new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, `fragmented message of at least ${body} bytes exceeds maxMessageSize ${max}`);
    }
    // the sink's own limits (handshake commands, a routing id, data before
    // READY) on what the message has reached so far, before this fragment is kept
    if (this.openFlags >= 0) this.sink.frameHeader(this.openFlags, body);
    if (size === 0 && this.fin) this.endMessage();
  }

  private fragmentPayload(chunk: Buffer, pos: number, n: number): void {
    if (this.o.masked) applyMask(chunk, pos, pos + n, this.key, this.consumed);
    this.consumed += n;
    this.need -= n;
    if (this.openFlags < 0 && n > 0) {
      this.openFlags = zmtpFlags(chunk[pos]!);
      pos++;
      n--;
      this.sink.frameHeader(this.openFlags, this.piecesBytes + n + this.need);
    }
    if (n > 0) {
      // a view of the chunk, merged past FRAGMENTS_MERGE pieces so that tiny
      // fragments do not pile up objects
      this.pieces.push(chunk.subarray(pos, pos + n));
      this.piecesBytes += n;
      if (this.pieces.length - this.merged > FRAGMENTS_MERGE) {
        this.pieces.push(Buffer.concat(this.pieces.splice(this.merged)));
        this.merged = this.pieces.length;
      }
    }
    if (this.need === 0 && this.fin) this.endMessage();
    else if (this.need === 0) this.state = S_HEAD;
  }

  /** The last fragment is in: the message is one ZeroMQ frame. */
  private endMessage(): void {
    if (this.openFlags < 0) throw wsError("a fragmented WebSocket message with no ZWS flags byte");
    const body = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces, this.piecesBytes);
    const flags = this.openFlags;
    this.pieces = [];
    this.piecesBytes = 0;
    this.merged = 0;
    this.open = false;
    this.openFlags = -1;
    this.sink.frameHeader(flags, body.length);
    this.endFrame(body, flags);
  }

  private controlPayload(chunk: Buffer, pos: number, n: number): void {
    chunk.copy(this.cbuf, this.consumed, pos, pos + n);
    this.consumed += n;
    this.need -= n;
    if (this.need > 0) return;
    const payload = this.cbuf.subarray(0, this.consumed);
    if (this.o.masked) applyMask(payload, 0, payload.length, this.key, 0);
    this.control(payload);
  }

  private control(payload: Buffer): void {
    this.state = S_HEAD;
    if (this.opcode === OP_PING) this.o.control.ping(Buffer.from(payload));
    else if (this.opcode === OP_CLOSE) {
      if (payload.length === 1) throw wsError("a WebSocket close frame of 1 byte");
      this.state = S_CLOSED;
      this.o.control.closed(payload.length >= 2 ? payload.readUInt16BE(0) : undefined);
    }
    // a pong answers nothing
  }

  private endFrame(body: Buffer, flags = this.zflags): void {
    this.state = S_HEAD;
    if (this.sink.frame(flags, body) === false) this.isSuspended = true;
  }
}

/** Header bytes: 2, the extended length, the mask key. The frame's own mask
 * bit says whether a key follows: a frame masked the wrong way is refused at
 * its header (header()), not left waiting for key bytes that never come. */
function headerLength(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & WS_MASKED) !== 0 ? 4 : 0);
}

/** RFC 45's flags byte as the engine's flags (ZMTP's bits). */
export function zmtpFlags(f: number): number {
  if ((f & ~(ZWS_MORE | ZWS_COMMAND)) !== 0) throw wsError(`a ZWS flags byte with reserved bits set (0x${f.toString(16)})`);
  if (f === (ZWS_MORE | ZWS_COMMAND)) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "command frame with the MORE flag");
  return (f & ZWS_MORE ? FLAG_MORE : 0) | (f & ZWS_COMMAND ? FLAG_COMMAND : 0);
}

function wsError(message: string): ZmtpError {
  return protocolError(ERR_ZMTP_UNSPECIFIED, `ZWS: ${message}`);
}
