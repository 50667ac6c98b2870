// Frames -> whole multipart messages and commands, with the limits a peer must
// stay within, checked at each frame's header before its body is kept. It sits
// above the mechanism (under CURVE it sees the frames the boxes held), so the
// limits are the same whatever the security and the framing.
import type { Msg } from "../core/message.js";
import type { FrameSink } from "./framing.js";
import {
  ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, ERR_ZMTP_UNEXPECTED_COMMAND, ERR_ZMTP_UNSPECIFIED, FLAG_COMMAND, FLAG_MORE,
  ZmtpError, protocolError,
} from "./constants.js";

export interface MessageSink {
  /** A whole multipart message. Return `false` to suspend decoding after it. */
  onMessage(msg: Msg): void | boolean;
  /** A command: its name and the data after the name (zero-copy). */
  onCommand(name: string, data: Buffer): void;
}

export interface AssemblyLimits {
  /** Bound on the WHOLE multipart message (sum of frame sizes) and on any one command;
   * -1 = none. libzmq checks per frame, which lets a peer send endless MORE frames. */
  maxMessageSize: number;
  /** Parts per message; default DEFAULT_MAX_FRAMES. */
  maxFrames?: number;
  /** Bound on one command frame (name included); -1 (default) = none beyond maxMessageSize. */
  maxCommandSize?: number;
}

/** Default part cap. Each part costs a Buffer object (~100 bytes of heap) even when empty, so
 * 2 wire bytes per empty part become ~50x more heap: 100 000 parts bounds that at ~10 MB per
 * connection and is far beyond what real applications send. libzmq has no cap. */
export const DEFAULT_MAX_FRAMES = 100_000;

export class MessageAssembler implements FrameSink {
  maxMessageSize: number;
  maxFrames: number;
  maxCommandSize: number;
  /** False while the handshake runs: RFC 23/37 allow only commands until READY,
   * so a data frame is refused at its header. */
  acceptData = true;
  /** False for peers whose framing has no commands (ZMTP 2.0 and older):
   * a frame with the COMMAND bit is a protocol error at its header. */
  acceptCommands = true;
  private readonly sink: MessageSink;
  /** Frames of the multipart message so far, and their total size. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** A MORE frame's header was accepted: the message is open until its last frame. */
  private open = false;

  constructor(sink: MessageSink, limits: AssemblyLimits) {
    this.sink = sink;
    this.maxMessageSize = limits.maxMessageSize;
    this.maxFrames = limits.maxFrames ?? DEFAULT_MAX_FRAMES;
    this.maxCommandSize = limits.maxCommandSize ?? -1;
  }

  /** True while some frames of a multipart message have arrived but not its last one. */
  get inMessage(): boolean {
    return this.open || this.parts.length > 0;
  }

  /** The largest frame body the next header may declare (a mechanism adds its
   * overhead to bound the box that carries it); -1 = no limit. */
  get allowance(): number {
    const data = this.maxMessageSize < 0 ? -1 : this.maxMessageSize - this.partsBytes;
    if (this.open) return data;
    const cmd = this.maxCommandSize >= 0 ? this.maxCommandSize : this.maxMessageSize;
    if (!this.acceptData) return cmd;
    return cmd < 0 || data < 0 ? -1 : Math.max(cmd, data);
  }

  frameHeader(flags: number, size: number): void {
    if ((flags & FLAG_COMMAND) !== 0) {
      if (!this.acceptCommands) throw protocolError(ERR_ZMTP_UNSPECIFIED, "command frame from a peer older than ZMTP 3.0");
      if (this.open) throw protocolError(ERR_ZMTP_UNSPECIFIED, "command frame inside a multipart message");
      if (this.maxMessageSize >= 0 && size > this.maxMessageSize) throw tooBig(`command of ${size} bytes exceeds maxMessageSize ${this.maxMessageSize}`);
      if (this.maxCommandSize >= 0 && size > this.maxCommandSize) throw tooBig(`command of ${size} bytes exceeds the ${this.maxCommandSize}-byte command limit`);
      return;
    }
    if (!this.acceptData) throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, "message frame before the handshake completed");
    if (this.parts.length + 1 > this.maxFrames) throw tooBig(`message has more than ${this.maxFrames} parts`);
    const total = this.partsBytes + size;
    if (this.maxMessageSize >= 0 && total > this.maxMessageSize) {
      throw tooBig(`message of at least ${total} bytes exceeds maxMessageSize ${this.maxMessageSize}`);
    }
    this.open = (flags & FLAG_MORE) !== 0;
  }

  frame(flags: number, body: Buffer): boolean | void {
    if ((flags & FLAG_COMMAND) !== 0) {
      if (body.length < 1) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "empty command frame");
      const n = body[0]!;
      if (n === 0) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "command name is empty");
      if (n === LIBZMQ_PLAIN_ERROR[0] && isLibzmqPlainError(body)) {
        this.sink.onCommand("ERROR", body.subarray(LIBZMQ_PLAIN_ERROR.length));
        return;
      }
      if (1 + n > body.length) {
        throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, `command name length ${n} runs past the ${body.length}-byte frame`);
      }
      this.sink.onCommand(body.toString("latin1", 1, 1 + n), body.subarray(1 + n));
      return;
    }
    if ((flags & FLAG_MORE) !== 0) {
      this.parts.push(body);
      this.partsBytes += body.length;
      return;
    }
    let msg: Msg;
    if (this.parts.length === 0) {
      msg = [body];
    } else {
      msg = this.parts;
      msg.push(body);
      this.parts = [];
    }
    this.partsBytes = 0;
    return this.sink.onMessage(msg);
  }
}

/** libzmq 4.3's PLAIN server spells ERROR "\x05ERROR" in C, which the
 * compiler reads as the byte 0x5E and "RROR" (a hex escape takes every hex
 * digit): its PLAIN refusals arrive as this malformed command, and its PLAIN
 * clients expect it. Read as ERROR. */
export const LIBZMQ_PLAIN_ERROR = Buffer.from([0x5e, 0x52, 0x52, 0x4f, 0x52]);

function isLibzmqPlainError(body: Buffer): boolean {
  return body.length > LIBZMQ_PLAIN_ERROR.length && body.subarray(0, LIBZMQ_PLAIN_ERROR.length).equals(LIBZMQ_PLAIN_ERROR);
}

function tooBig(message: string): ZmtpError {
  return new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, message);
}
