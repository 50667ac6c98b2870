// ZWS 2.0 over a WebSocket that frames messages itself (a browser's
// WebSocket): each chunk in is one whole WebSocket message, each Buffer out
// must be one, so the codec sees only RFC 45's flags byte and body. A
// browser can offer only the bare `ZWS2.0` ('/' is not allowed in a
// subprotocol name there), so the preamble is the routing-id exchange.
import type { Codec, CodecFactory, CodecSelf, FrameSink } from "../zmtp/framing.js";
import { ChunkDecoder } from "../zmtp/chunk-decoder.js";
import { ERR_ZMTP_UNSPECIFIED, FLAG_COMMAND, FLAG_MORE, ZmtpError } from "../zmtp/constants.js";
import { ZmtpEncoder } from "../zmtp/encoder.js";
import { BarePreamble } from "./codec.js";
import { zmtpFlags } from "./decoder.js";
import { ZWS_COMMAND, ZWS_MORE } from "./constants.js";

/** One WebSocket message per push(): flags byte, body (a view of the message). */
export class ZwsMessageDecoder extends ChunkDecoder {
  readTarget(): Buffer | undefined {
    return undefined;
  }

  wrote(): void {
    throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZWS message decoder has no direct reads");
  }

  /** Messages kept while suspended: the routing-id preamble hands none on
   * (it reads exactly one message per push). */
  takeRest(): Buffer {
    if (this.backlog.length > 0) throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZWS: messages held past the preamble");
    return Buffer.alloc(0);
  }

  protected dropPartial(): void {}

  protected decode(msg: Buffer): void {
    if (msg.length === 0) throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZWS: an empty WebSocket message (no flags byte)");
    const flags = zmtpFlags(msg[0]!);
    this.sink.frameHeader(flags, msg.length - 1);
    if (this.sink.frame(flags, msg.subarray(1)) === false) this.isSuspended = true;
  }
}

/** Frames out as one Buffer each: the flags byte and the body, contiguous in
 * the slab for small frames, copied together for large ones. */
export class ZwsMessageEncoder extends ZmtpEncoder {
  /** Offsets and sizes (flags byte included) of the batch's frames. */
  private at: number[] = [];
  private len: number[] = [];

  protected override header(flags: number, size: number): void {
    this.at.push(this.pending);
    this.len.push(size + 1);
    this.slab[this.used++] = ((flags & FLAG_MORE) !== 0 ? ZWS_MORE : 0) | ((flags & FLAG_COMMAND) !== 0 ? ZWS_COMMAND : 0);
    this.pending += 1;
  }

  override take(): Buffer[] {
    const chunks = super.take();
    const out: Buffer[] = [];
    let ci = 0;
    let cs = 0;
    for (let f = 0; f < this.at.length; f++) {
      const start = this.at[f]!;
      const end = start + this.len[f]!;
      while (cs + chunks[ci]!.length <= start) cs += chunks[ci++]!.length;
      const c = chunks[ci]!;
      if (end <= cs + c.length) {
        out.push(c.subarray(start - cs, end - cs));
        continue;
      }
      const parts: Buffer[] = [];
      let p = start;
      while (p < end) {
        while (cs + chunks[ci]!.length <= p) cs += chunks[ci++]!.length;
        const d = chunks[ci]!;
        const to = Math.min(end, cs + d.length);
        parts.push(d.subarray(p - cs, to - cs));
        p = to;
      }
      out.push(Buffer.concat(parts, end - start));
    }
    this.at.length = 0;
    this.len.length = 0;
    return out;
  }
}

/** The codec for a browser WebSocket that agreed on `ZWS2.0`. */
export function zwsMessageCodec(): CodecFactory {
  return (self: CodecSelf): Codec => ({
    preamble: new BarePreamble(self, (sink: FrameSink) => new ZwsMessageDecoder(sink), () => new ZwsMessageEncoder()),
    decoder: (sink) => new ZwsMessageDecoder(sink),
    encoder: () => new ZwsMessageEncoder(),
  });
}
