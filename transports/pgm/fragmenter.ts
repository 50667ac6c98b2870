// Whole messages -> data packet bodies. Messages are ZMTP-framed (the shared
// encoder) into one continuous byte stream that is cut into payloads of at
// most `payloadSize` bytes; each body records the first message starting in it
// (msgSeq, firstOffset) so a receiver can resynchronise at a message boundary
// after unrecoverable loss or when joining late, and count what it missed.
import type { Msg } from "../../lib/core/message.js";
import { ZmtpEncoder } from "../../lib/zmtp/encoder.js";
import { DATA_HEADER_SIZE, HEADER_SIZE, NO_OFFSET, writeDataSubHeader } from "./packet.js";

const SUB = DATA_HEADER_SIZE - HEADER_SIZE;

export class Fragmenter {
  private readonly encoder = new ZmtpEncoder();
  private cur: Buffer | undefined;
  /** Next free byte in `cur` (the sub-header occupies the first SUB bytes). */
  private pos = 0;
  private curMsgSeq = 0;
  private curFirst = NO_OFFSET;
  /** Number of the next message added (32-bit, wraps). */
  nextMsg: number;

  constructor(
    readonly payloadSize: number,
    firstMsg: number,
    /** Receives each finished body (sub-header + payload); ownership passes to it. */
    private readonly out: (body: Buffer) => void,
  ) {
    if (payloadSize < 1 || payloadSize >= NO_OFFSET) throw new RangeError("bad pgm payload size");
    this.nextMsg = firstMsg >>> 0;
  }

  add(msg: Msg): void {
    this.encoder.writeMessage(msg);
    const chunks = this.encoder.take();
    const m = this.nextMsg;
    this.nextMsg = (m + 1) >>> 0;
    let started = false;
    const end = SUB + this.payloadSize;
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.length) {
        if (this.cur === undefined) this.open(m);
        if (!started) {
          started = true;
          if (this.curFirst === NO_OFFSET) {
            this.curFirst = this.pos - SUB;
            this.curMsgSeq = m;
          }
        }
        const n = Math.min(chunk.length - off, end - this.pos);
        chunk.copy(this.cur!, this.pos, off, off + n);
        this.pos += n;
        off += n;
        if (this.pos === end) this.finish();
      }
    }
    // the bytes are copied into packets: the encoder may reuse its slabs
    this.encoder.released(this.encoder.lastBatch);
  }

  /** Emit the partly filled packet, if any (end of a batch). */
  flush(): void {
    if (this.cur !== undefined) this.finish();
  }

  private open(m: number): void {
    this.cur = Buffer.allocUnsafe(SUB + this.payloadSize);
    this.pos = SUB;
    this.curFirst = NO_OFFSET;
    this.curMsgSeq = m;
  }

  private finish(): void {
    let b = this.cur!;
    this.cur = undefined;
    writeDataSubHeader(b, this.curMsgSeq, this.curFirst);
    // a small tail should not pin a whole TPDU-sized buffer in the window
    if (this.pos < b.length) b = this.pos * 2 < b.length ? Buffer.from(b.subarray(0, this.pos)) : b.subarray(0, this.pos);
    this.out(b);
  }
}
