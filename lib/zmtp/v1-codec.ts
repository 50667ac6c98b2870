// ZMTP 1.0 framing (RFC 13), for ZeroMQ 2.x peers and revision-0 greetings:
// a length that counts the flags byte (one octet, or 0xFF and eight), then
// the flags (bit 0: MORE), then the body. No commands exist in it. Frames go
// to the same assembler as every other framing's, so limits are the same.
import { ERR_ZMTP_UNSPECIFIED, FLAG_MORE, ZmtpError, protocolError } from "./constants.js";
import { MAX_FRAME_SIZE } from "./decoder.js";
import { ZmtpEncoder } from "./encoder.js";
import { ChunkDecoder } from "./chunk-decoder.js";
import type { FrameSink } from "./framing.js";

const TWO_32 = 4294967296;
const EMPTY = Buffer.alloc(0);

/** The ZMTP encoder with RFC 13's header. */
export class V1Encoder extends ZmtpEncoder {
  protected override header(flags: number, size: number): void {
    const slab = this.slab;
    let o = this.used;
    const n = size + 1; // the length counts the flags byte
    if (n < 0xff) {
      slab[o++] = n;
      this.pending += 1;
    } else {
      const hi = Math.floor(n / TWO_32);
      const lo = n >>> 0;
      slab[o++] = 0xff;
      slab.writeUInt32BE(hi, o);
      slab.writeUInt32BE(lo, o + 4);
      o += 8;
      this.pending += 9;
    }
    slab[o++] = flags & FLAG_MORE;
    this.pending += 1;
    this.used = o;
  }
}

const S_LEN = 0;
const S_LEN8 = 1;
const S_FLAGS = 2;
const S_BODY = 3;

/** RFC 13 bytes -> frames. Bodies spanning reads are gathered in pieces and
 * joined once (a 2.x peer's traffic is small; no direct reads). */
export class V1Decoder extends ChunkDecoder {
  private state = S_LEN;
  private lenBuf = Buffer.alloc(8);
  private lenHave = 0;
  /** Body bytes still missing. */
  private need = 0;
  private flags = 0;
  private pieces: Buffer[] = [];

  constructor(sink: FrameSink) {
    super(sink);
  }

  readTarget(): Buffer | undefined {
    return undefined;
  }

  wrote(): void {
    throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZMTP 1.0 framing takes no direct reads");
  }

  protected dropPartial(): void {
    this.pieces = [];
  }

  protected decode(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.state === S_LEN) {
        const n = chunk[pos++]!;
        if (n === 0xff) {
          this.state = S_LEN8;
          this.lenHave = 0;
          continue;
        }
        this.length(n);
      } else if (this.state === S_LEN8) {
        const take = Math.min(8 - this.lenHave, len - pos);
        chunk.copy(this.lenBuf, this.lenHave, pos, pos + take);
        this.lenHave += take;
        pos += take;
        if (this.lenHave < 8) continue;
        const hi = this.lenBuf.readUInt32BE(0);
        if (hi > 0x1fffff) throw tooBig("frame size exceeds 2^53-1");
        this.length(hi * TWO_32 + this.lenBuf.readUInt32BE(4));
      } else if (this.state === S_FLAGS) {
        const flags = chunk[pos++]!;
        // RFC 13: reserved bits SHOULD be zero, and ZeroMQ 2.x sets none: a
        // stream that sets them is not ZMTP (garbage is caught at once)
        if ((flags & ~FLAG_MORE) !== 0) throw protocolError(ERR_ZMTP_UNSPECIFIED, `ZMTP 1.0 frame with reserved flag bits 0x${flags.toString(16)}`);
        this.flags = flags;
        // the header is complete: the sink's limits apply before any body byte is kept
        this.sink.frameHeader(this.flags, this.need);
        if (this.need === 0) this.frame(EMPTY);
        else this.state = S_BODY;
      } else {
        const n = Math.min(this.need, len - pos);
        if (this.pieces.length === 0 && n === this.need) {
          this.frame(chunk.subarray(pos, pos + n));
        } else {
          this.pieces.push(chunk.subarray(pos, pos + n));
          this.need -= n;
          if (this.need === 0) {
            const body = Buffer.concat(this.pieces);
            this.pieces = [];
            this.frame(body);
          }
        }
        pos += n;
      }
      if (this.isSuspended) {
        this.keep(chunk, pos);
        return;
      }
    }
  }

  /** The length field: it counts the flags byte, so it is at least 1. */
  private length(n: number): void {
    if (n === 0) throw protocolError(ERR_ZMTP_UNSPECIFIED, "ZMTP 1.0 frame length 0 (it counts the flags byte)");
    if (n - 1 > MAX_FRAME_SIZE) throw tooBig(`frame size ${n - 1} exceeds what this process can hold`);
    this.need = n - 1;
    this.state = S_FLAGS;
  }

  private frame(body: Buffer): void {
    this.state = S_LEN;
    this.need = 0;
    if (this.sink.frame(this.flags, body) === false) this.isSuspended = true;
  }
}

function tooBig(message: string): ZmtpError {
  return new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, message);
}
