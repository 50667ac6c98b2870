// The memory of one pipe between two threads: a SharedArrayBuffer holding a
// header of counters and, per direction, a byte ring of frames. Each direction
// has one writer and one reader (single-producer/single-consumer), so only the
// position counters need atomics. A frame is a 4-byte little-endian header
// (bit 31: more frames follow; bits 0-30: length) and its body; a frame may be
// split across the ring's end or streamed in pieces larger than the ring, and
// the reader hands on only whole messages, so a writer that dies mid-message
// leaves nothing visible.
import type { Msg } from "../../lib/core/message.js";
import { EMPTY_FRAME } from "../../lib/core/message.js";
import type { RingQueue } from "../../lib/core/ring-queue.js";

/** Bytes per direction: 2 × this per pipe (see the README's memory figure). */
export const RING_BYTES = 128 * 1024;
const HEADER_BYTES = 128;
const MORE = 0x80000000;
/** The largest frame a header can describe. */
export const MAX_FRAME = 0x7fffffff;

// per direction (d = 0: connecter → binder, 1: binder → connecter), 8 words at d * 8
export const W_POS = 0; // bytes published by the writer (uint32, wraps)
export const R_POS = 1; // bytes consumed by the reader
export const R_SEQ = 2; // messages the reading socket has taken (the HWM credit)
export const W_HWM = 3; // the writer's SNDHWM (-1: contributes nothing)
export const R_HWM = 4; // the reader's RCVHWM
// per end (e = 0: connecter, 1: binder), 4 words at 16 + e * 4
const BELL = 0; // bumped and notified to wake the end
const WANT = 1; // what the sleeping end waits for (bits below)
const CREDIT_TARGET = 2; // with WANT_CREDIT: wake once R_SEQ reaches this
export const WANT_DATA = 1;
export const WANT_SPACE = 2;
export const WANT_CREDIT = 4;

export function createPipeMemory(ringBytes = RING_BYTES): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(HEADER_BYTES + 2 * ringBytes);
  const i32 = new Int32Array(sab, 0, HEADER_BYTES / 4);
  for (const d of [0, 8]) {
    i32[d + W_HWM] = -1;
    i32[d + R_HWM] = -1;
  }
  return sab;
}

/** One end's view of the pipe memory: the indexes of its words. */
export class PipeMemory {
  readonly i32: Int32Array;
  readonly buf: Buffer;
  readonly size: number;
  readonly mask: number;
  /** word offsets of this end's outbound and inbound direction */
  readonly out: number;
  readonly inn: number;
  /** byte offsets of those directions' rings in `buf` */
  readonly outRing: number;
  readonly innRing: number;
  readonly myBell: number;
  readonly myWant: number;
  readonly myTarget: number;
  readonly peerBell: number;
  readonly peerWant: number;
  readonly peerTarget: number;

  constructor(sab: SharedArrayBuffer, end: 0 | 1) {
    this.i32 = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.buf = Buffer.from(sab);
    const size = (sab.byteLength - HEADER_BYTES) / 2;
    if (size < 64 || (size & (size - 1)) !== 0) throw new RangeError("pipe memory: ring size must be a power of two");
    this.size = size;
    this.mask = size - 1;
    this.out = end * 8;
    this.inn = (1 - end) * 8;
    this.outRing = HEADER_BYTES + end * size;
    this.innRing = HEADER_BYTES + (1 - end) * size;
    const me = 16 + end * 4;
    const peer = 16 + (1 - end) * 4;
    this.myBell = me + BELL;
    this.myWant = me + WANT;
    this.myTarget = me + CREDIT_TARGET;
    this.peerBell = peer + BELL;
    this.peerWant = peer + WANT;
    this.peerTarget = peer + CREDIT_TARGET;
  }

  /** Wake the peer if it sleeps waiting for `bit` (libzmq ypipe: only then). */
  ring(bit: number): void {
    const i32 = this.i32;
    if ((Atomics.load(i32, this.peerWant) & bit) === 0) return;
    Atomics.and(i32, this.peerWant, ~bit);
    Atomics.add(i32, this.peerBell, 1);
    Atomics.notify(i32, this.peerBell);
  }

  /** Wake the peer's blocked writer once `rseq` reached its target. */
  ringCredit(rseq: number): void {
    const i32 = this.i32;
    if ((Atomics.load(i32, this.peerWant) & WANT_CREDIT) === 0) return;
    if (((rseq - Atomics.load(i32, this.peerTarget)) | 0) < 0) return;
    this.ring(WANT_CREDIT);
  }
}

/** The writing half of one end: whole messages in, bytes into the ring as room allows. */
export class FrameWriter {
  private fi = 0;
  /** offset in the current frame's body; -1 = its header is not written yet */
  private off = -1;
  private wpos = 0;

  constructor(
    private readonly m: PipeMemory,
    private readonly outbox: RingQueue<Msg>,
  ) {}

  /** True while part of the head message is already in the ring. */
  get midMessage(): boolean {
    return this.fi !== 0 || this.off >= 0;
  }

  /** Whether the reader has freed room since the ring was last full. */
  hasRoom(): boolean {
    return this.m.size - ((this.wpos - (Atomics.load(this.m.i32, this.m.out + R_POS) >>> 0)) >>> 0) >= 4;
  }

  /** Write as much of the outbox as fits; true if anything was published. */
  flush(): boolean {
    const m = this.m;
    const outbox = this.outbox;
    const size = m.size;
    const mask = m.mask;
    const ring = m.outRing;
    const buf = m.buf;
    const start = this.wpos;
    let wpos = start;
    let free = size - ((wpos - (Atomics.load(m.i32, m.out + R_POS) >>> 0)) >>> 0);
    let fi = this.fi;
    let off = this.off;
    while (free > 0) {
      const msg = outbox.peek();
      if (msg === undefined) break;
      const f = msg[fi]!;
      const len = f.length;
      if (off < 0) {
        if (free < 4) break;
        const h = (len | (fi < msg.length - 1 ? MORE : 0)) >>> 0;
        buf[ring + (wpos & mask)] = h & 0xff;
        buf[ring + ((wpos + 1) & mask)] = (h >>> 8) & 0xff;
        buf[ring + ((wpos + 2) & mask)] = (h >>> 16) & 0xff;
        buf[ring + ((wpos + 3) & mask)] = h >>> 24;
        wpos = (wpos + 4) >>> 0;
        free -= 4;
        off = 0;
      }
      let n = len - off;
      if (n > free) n = free;
      if (n > 0) {
        const p = wpos & mask;
        if (n <= 32 && p + n <= size) {
          const d = ring + p;
          for (let k = 0; k < n; k++) buf[d + k] = f[off + k]!;
        } else {
          const first = Math.min(n, size - p);
          f.copy(buf, ring + p, off, off + first);
          if (first < n) f.copy(buf, ring, off + first, off + n);
        }
        wpos = (wpos + n) >>> 0;
        off += n;
        free -= n;
      }
      if (off === len) {
        off = -1;
        if (++fi === msg.length) {
          fi = 0;
          outbox.shift();
        }
      }
    }
    this.fi = fi;
    this.off = off;
    if (wpos === start) return false;
    this.wpos = wpos;
    Atomics.store(m.i32, m.out + W_POS, wpos | 0);
    return true;
  }

  /** The peer is gone: what is not written is dropped. */
  drop(): void {
    this.outbox.clear();
    this.fi = 0;
    this.off = -1;
  }
}

/** The reading half of one end: bytes out of the ring, whole messages out. */
export class FrameReader {
  private rpos = 0;
  private cur: Buffer[] = [];
  /** a frame larger than what the ring held when its header was read */
  private big: Buffer | undefined;
  private bigFilled = 0;
  private bigMore = false;

  constructor(private readonly m: PipeMemory) {}

  /** Whether the writer published bytes not yet consumed. */
  hasBytes(): boolean {
    return (Atomics.load(this.m.i32, this.m.inn + W_POS) >>> 0) !== this.rpos;
  }

  /** Take everything published; push each whole message into `into`.
   * True if ring space was freed. Frames of a run of small frames are views
   * of one copy of that run. */
  pull(into: RingQueue<Msg>): boolean {
    const m = this.m;
    const wpos = Atomics.load(m.i32, m.inn + W_POS) >>> 0;
    const start = this.rpos;
    let p = start;
    while (p !== wpos) {
      const big = this.big;
      if (big !== undefined) {
        let n = big.length - this.bigFilled;
        const avail = (wpos - p) >>> 0;
        if (n > avail) n = avail;
        this.copyOut(p, big, this.bigFilled, n);
        this.bigFilled += n;
        p = (p + n) >>> 0;
        if (this.bigFilled < big.length) break;
        this.big = undefined;
        this.frame(big, this.bigMore, into);
        continue;
      }
      // a run of frames that are whole in the ring: one copy, frames are views
      let q = p;
      let avail = (wpos - q) >>> 0;
      while (avail >= 4) {
        const len = this.header(q) & MAX_FRAME;
        if (len + 4 > avail) break;
        q = (q + 4 + len) >>> 0;
        avail -= 4 + len;
      }
      if (q !== p) {
        const span = Buffer.allocUnsafe((q - p) >>> 0);
        this.copyOut(p, span, 0, span.length);
        p = q;
        let o = 0;
        while (o < span.length) {
          const h = span.readUInt32LE(o);
          const len = h & MAX_FRAME;
          this.frame(len === 0 ? EMPTY_FRAME : span.subarray(o + 4, o + 4 + len), h >= MORE, into);
          o += 4 + len;
        }
        continue;
      }
      if (avail < 4) break; // a header split by a pause of the writer
      // a frame larger than what is here: stream it into its own buffer
      const h = this.header(p);
      this.big = Buffer.allocUnsafe(h & MAX_FRAME);
      this.bigFilled = 0;
      this.bigMore = h >= MORE;
      p = (p + 4) >>> 0;
    }
    if (p === start) return false;
    this.rpos = p;
    Atomics.store(m.i32, m.inn + R_POS, p | 0);
    return true;
  }

  /** A writer that is gone cannot finish its message: forget the part. */
  dropPartial(): void {
    this.cur = [];
    this.big = undefined;
  }

  private frame(f: Buffer, more: boolean, into: RingQueue<Msg>): void {
    this.cur.push(f);
    if (!more) {
      into.push(this.cur);
      this.cur = [];
    }
  }

  private header(p: number): number {
    const b = this.m.buf;
    const r = this.m.innRing;
    const mask = this.m.mask;
    return (b[r + (p & mask)]! | (b[r + ((p + 1) & mask)]! << 8) | (b[r + ((p + 2) & mask)]! << 16) | (b[r + ((p + 3) & mask)]! << 24)) >>> 0;
  }

  private copyOut(p: number, dst: Buffer, at: number, n: number): void {
    const m = this.m;
    const pos = p & m.mask;
    const first = Math.min(n, m.size - pos);
    m.buf.copy(dst, at, m.innRing + pos, m.innRing + pos + first);
    if (first < n) m.buf.copy(dst, at + first, m.innRing, m.innRing + (n - first));
  }
}
