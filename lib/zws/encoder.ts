// ZeroMQ frames out as ZWS 2.0 (RFC 45) WebSocket messages: one unfragmented
// binary frame each (libzmq refuses fragments), the ZWS flags byte first.
// The ZMTP encoder's slab batching is kept; only the header differs. A client
// masks every frame (RFC 6455 §5.3) with a random key: its large bodies are
// copied instead of referenced, and the batch is masked in place when it is
// taken (a mechanism fills frameSpace views after the header is written).
import { FLAG_COMMAND, FLAG_MORE } from "../zmtp/constants.js";
import { ZmtpEncoder, writeSize64 } from "../zmtp/encoder.js";
import { OP_BINARY, OP_CLOSE, WS_FIN, WS_MASKED, ZWS_COMMAND, ZWS_MORE } from "./constants.js";
import { controlFrame } from "./control.js";
import { applyMask, randomMaskKey } from "./mask.js";

const CLOSE_NORMAL_BODY = Buffer.of(0x03, 0xe8);

export class ZwsEncoder extends ZmtpEncoder {
  /** Frames to mask in the batch being built: payload offset, length, key. */
  private maskAt: number[] = [];
  private maskLen: number[] = [];
  private maskKey: number[] = [];

  constructor(private readonly masked: boolean) {
    super();
  }

  protected override header(flags: number, size: number): void {
    const slab = this.slab;
    let o = this.used;
    const payload = size + 1;
    const m = this.masked ? WS_MASKED : 0;
    slab[o++] = WS_FIN | OP_BINARY;
    if (payload < 126) slab[o++] = m | payload;
    else if (payload < 65536) {
      slab[o++] = m | 126;
      slab[o++] = payload >>> 8;
      slab[o++] = payload & 0xff;
    } else {
      slab[o++] = m | 127;
      o = writeSize64(slab, o, payload);
    }
    if (this.masked) {
      const key = randomMaskKey();
      slab[o++] = key >>> 24;
      slab[o++] = (key >>> 16) & 0xff;
      slab[o++] = (key >>> 8) & 0xff;
      slab[o++] = key & 0xff;
      this.maskKey.push(key);
    }
    slab[o++] = ((flags & FLAG_MORE) !== 0 ? ZWS_MORE : 0) | ((flags & FLAG_COMMAND) !== 0 ? ZWS_COMMAND : 0);
    this.pending += o - this.used;
    this.used = o;
    if (this.masked) {
      this.maskAt.push(this.pending - 1);
      this.maskLen.push(payload);
    }
  }

  /** RFC 6455 §5.5.1: a close frame (1000, normal) before the TCP FIN. */
  writeClose(): void {
    this.writeRaw(controlFrame(OP_CLOSE, CLOSE_NORMAL_BODY, this.masked));
  }

  /** A client's large bodies are copied: masking must not touch the application's Buffers. */
  protected override body(b: Buffer, large: boolean): void {
    if (large && this.masked) {
      const copy = Buffer.allocUnsafe(b.length);
      copy.set(b);
      super.body(copy, true);
    } else super.body(b, large);
  }

  override take(): Buffer[] {
    const out = super.take();
    if (this.maskAt.length > 0) {
      maskBatch(out, this.maskAt, this.maskLen, this.maskKey);
      this.maskAt.length = 0;
      this.maskLen.length = 0;
      this.maskKey.length = 0;
    }
    return out;
  }
}

/** Mask each frame's payload range of the batch (offsets into the chunks laid end to end). */
function maskBatch(chunks: Buffer[], at: number[], len: number[], key: number[]): void {
  let ci = 0;
  let cs = 0; // offset of chunks[ci] in the batch
  for (let r = 0; r < at.length; r++) {
    const start = at[r]!;
    const end = start + len[r]!;
    let p = start;
    while (p < end) {
      while (cs + chunks[ci]!.length <= p) cs += chunks[ci++]!.length;
      const c = chunks[ci]!;
      const to = Math.min(end, cs + c.length);
      applyMask(c, p - cs, to - cs, key[r]!, p - start);
      p = to;
    }
  }
}
