// The memory of one pipe between two threads: a SharedArrayBuffer holding a
// header of counters and, per direction, a byte ring of frames. Each direction
// has one writer and one reader (single-producer/single-consumer), so only the
// position counters need atomics. A frame is an 8-byte header (a 4-byte
// little-endian word, bit 31: more frames follow, bits 0-30: length; 4 bytes
// unused) and its body, padded to 8 bytes; a frame may be split across the
// ring's end or streamed in pieces larger than the ring, and the reader hands
// on only whole messages, so a writer that dies mid-message leaves nothing
// visible.
//
// Why 8-byte alignment: V8 copies to and from a SharedArrayBuffer with relaxed
// atomic stores, a word at a time only where source and destination are
// aligned alike, else byte by byte: 64 KiB took 37 µs instead of 5 µs here.
// So every position the writer publishes is a multiple of 8, every body starts
// at one, and a body whose source is not aligned is bounced through an
// ordinary Buffer (memcpy), which costs less than the byte-wise copy.
import type { Msg } from "../../lib/core/message.js";
import { EMPTY_FRAME } from "../../lib/core/message.js";
import type { RingQueue } from "../../lib/core/ring-queue.js";

/** Bytes per direction: 2 × this per pipe (see the README's memory figure). */
export const RING_BYTES = 128 * 1024;
const HEADER_BYTES = 128;
const MORE = 0x80000000;
/** A frame's header in the ring; also the alignment of every frame. */
const FRAME_HEADER = 8;
/** Bodies up to this size are copied byte by byte without a call. */
const INLINE_COPY = 32;
/** Unaligned bodies from this size are bounced through an ordinary Buffer. */
const BOUNCE_FROM = 256;

/** A body's length rounded up to the frame alignment. */
function padded(len: number): number {
  return (len + 7) & ~7;
}

/** Scratch for bouncing unaligned bodies (one per thread, grown on demand). */
let bounce: Buffer | undefined;
/** Bits 0-30 of a header: a frame's length. */
const LENGTH_BITS = 0x7fffffff;
/** The largest frame that crosses: 31 bits of length, less the padding to 8
 * (a larger one would overflow padded() and the ring's accounting). */
export const MAX_FRAME = 0x7ffffff8;

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
    return this.m.size - ((this.wpos - (Atomics.load(this.m.i32, this.m.out + R_POS) >>> 0)) >>> 0) >= FRAME_HEADER;
  }

  /** Write as much of the outbox as fits; true if anything was published.
   * Every position published is a multiple of 8 (so is the ring's free space). */
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
        // free is a multiple of 8 and > 0: the header fits, unsplit
        const h = (len | (fi < msg.length - 1 ? MORE : 0)) >>> 0;
        const at = ring + (wpos & mask);
        buf[at] = h & 0xff;
        buf[at + 1] = (h >>> 8) & 0xff;
        buf[at + 2] = (h >>> 16) & 0xff;
        buf[at + 3] = h >>> 24;
        wpos = (wpos + FRAME_HEADER) >>> 0;
        free -= FRAME_HEADER;
        off = 0;
      }
      let n = len - off;
      if (n > free) n = free;
      if (n > 0) {
        const p = wpos & mask;
        if (n <= INLINE_COPY && p + n <= size) {
          const d = ring + p;
          for (let k = 0; k < n; k++) buf[d + k] = f[off + k]!;
        } else {
          const first = Math.min(n, size - p);
          copyIn(f, off, buf, ring + p, first);
          if (first < n) copyIn(f, off + first, buf, ring, n - first);
        }
        wpos = (wpos + n) >>> 0;
        off += n;
        free -= n;
      }
      if (off === len) {
        // the padding always fits: free stays a multiple of 8 from an aligned wpos
        const pad = padded(len) - len;
        wpos = (wpos + pad) >>> 0;
        free -= pad;
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
        p = (p + padded(big.length) - big.length) >>> 0;
        this.big = undefined;
        this.frame(big, this.bigMore, into);
        continue;
      }
      // a run of frames that are whole in the ring: one copy, frames are views
      let q = p;
      let avail = (wpos - q) >>> 0;
      while (avail >= FRAME_HEADER) {
        const step = FRAME_HEADER + padded(this.header(q) & LENGTH_BITS);
        if (step > avail) break;
        q = (q + step) >>> 0;
        avail -= step;
      }
      if (q !== p) {
        // allocUnsafe's pool and fresh buffers are 8-aligned, as is p
        const span = Buffer.allocUnsafe((q - p) >>> 0);
        this.copyOut(p, span, 0, span.length);
        p = q;
        let o = 0;
        while (o < span.length) {
          const h = span.readUInt32LE(o);
          const len = h & LENGTH_BITS;
          this.frame(len === 0 ? EMPTY_FRAME : span.subarray(o + FRAME_HEADER, o + FRAME_HEADER + len), h >= MORE, into);
          o += FRAME_HEADER + padded(len);
        }
        continue;
      }
      // a frame larger than what is here: stream it into its own buffer
      const h = this.header(p);
      this.big = Buffer.allocUnsafe(h & LENGTH_BITS);
      this.bigFilled = 0;
      this.bigMore = h >= MORE;
      p = (p + FRAME_HEADER) >>> 0;
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

  /** A header is never split by the ring's end: p is a multiple of 8. */
  private header(p: number): number {
    const b = this.m.buf;
    const at = this.m.innRing + (p & this.m.mask);
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }

  private copyOut(p: number, dst: Buffer, at: number, n: number): void {
    const m = this.m;
    const pos = p & m.mask;
    const first = Math.min(n, m.size - pos);
    m.buf.copy(dst, at, m.innRing + pos, m.innRing + pos + first);
    if (first < n) m.buf.copy(dst, at + first, m.innRing, m.innRing + (n - first));
  }
}

/** Copy `n` bytes of `src` from `at` into the ring at byte `to` (a multiple of
 * 8): straight if the source is aligned alike, else through the bounce buffer. */
function copyIn(src: Buffer, at: number, ring: Buffer, to: number, n: number): void {
  if (n < BOUNCE_FROM || ((src.byteOffset + at) & 7) === 0) {
    src.copy(ring, to, at, at + n);
    return;
  }
  if (bounce === undefined || bounce.length < n) bounce = Buffer.allocUnsafeSlow(Math.max(n, 4096));
  src.copy(bounce, 0, at, at + n);
  bounce.copy(ring, to, 0, n);
}
