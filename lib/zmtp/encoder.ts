// Messages -> ZMTP frames, batched for one write per flush (libzmq's encoder packs small
// messages into one out_batch_size buffer and hands large bodies over without copying).
//
// A batch is a list of Buffers: slab regions holding copied headers and small bodies,
// interleaved with large bodies referenced as they are. The engine writes it with
// socket.cork(); write each; socket.uncork() (or one writev).
//
// Ownership: take() hands the batch to the caller. The encoder never writes again into any
// byte it has handed out: it keeps filling the rest of the same slab after them, and takes
// another slab when that is full. A full slab is filled again only after the caller says, with
// released(batch), that every batch holding its bytes has been written; without that call the
// encoder allocates fresh slabs, so returned Buffers stay valid for as long as anyone keeps
// them. Large bodies are the application's own Buffers (zero-copy): they must not be
// modified until written, which holds because send() takes ownership of its frames.
import { ZmqError } from "../core/errors.js";
import type { Msg } from "../core/message.js";
import type { FrameEncoder } from "./framing.js";
import {
  CANCEL_BYTE, CMD_CANCEL, CMD_SUBSCRIBE, FLAG_COMMAND, FLAG_LONG, FLAG_MORE, LONG_HEADER_SIZE,
  MAX_SHORT_SIZE, SHORT_HEADER_SIZE, SUBSCRIBE_BYTE,
} from "./constants.js";

/** Bodies at least this long are referenced, not copied (one extra chunk beats a memcpy). */
export const LARGE_BODY_THRESHOLD = 8192;
/** Slab size for copied headers and small bodies (libzmq's out_batch_size is 8192). Always
 * holds one item: 9-byte header + 256-byte command name + a body under the threshold. */
export const SLAB_SIZE = 65536;
/** Written slabs kept for reuse, shared by every encoder in the process so that
 * memory stays bounded however many connections there are. */
const POOL_MAX = 64;
const pool: Buffer[] = [];
const NO_SLAB = Buffer.alloc(0);

const TWO_32 = 4294967296;
/** Room reserved for one frame header: ZMTP 3.x/2.0 need 9 bytes at most,
 * ZMTP 1.0 (V1Encoder) 10, ZWS (a masked WebSocket header and the flags byte) 15. */
const HEADER_ROOM = 16;

export class ZmtpEncoder implements FrameEncoder {
  protected slab: Buffer = NO_SLAB;
  /** Next free byte in the slab. */
  protected used = 0;
  /** Start of the slab region not yet moved into `chunks`. */
  private start = 0;
  private chunks: Buffer[] = [];
  protected pending = 0;
  /** Number of the batch being built; take() hands it out and starts the next. */
  private batch = 0;
  /** Slabs left behind, with the last batch that holds bytes of them. */
  private retired: Array<{ slab: Buffer; batch: number }> = [];

  /** Bytes in the current batch. */
  get length(): number {
    return this.pending;
  }

  /** Append one multipart message: MORE on every frame but the last. */
  writeMessage(msg: Msg): void {
    const n = msg.length;
    if (n === 0) throw new ZmqError("EINVAL", "A message must have at least one part");
    for (let i = 0; i < n; i++) {
      const body = msg[i]!;
      const size = body.length;
      const large = size >= LARGE_BODY_THRESHOLD;
      this.ensure(HEADER_ROOM + (large ? 0 : size));
      this.header(i < n - 1 ? FLAG_MORE : 0, size);
      this.body(body, large);
    }
  }

  /** Append one frame with the given flags (FLAG_MORE, FLAG_COMMAND). */
  writeFrame(flags: number, body: Buffer): void {
    const size = body.length;
    const large = size >= LARGE_BODY_THRESHOLD;
    this.ensure(HEADER_ROOM + (large ? 0 : size));
    this.header(flags & (FLAG_MORE | FLAG_COMMAND), size);
    this.body(body, large);
  }

  /** Append one command frame: name length, name (1-255 printable ASCII), data. */
  writeCommand(name: string, data: Buffer): void {
    const large = data.length >= LARGE_BODY_THRESHOLD;
    this.commandHeader(name, data.length, large ? 0 : data.length);
    this.body(data, large);
  }

  /** A command frame whose `size` data bytes the caller writes into the
   * returned view (in the slab, or a buffer of its own when large) before the
   * next call. */
  commandSpace(name: string, size: number): Buffer {
    if (size >= LARGE_BODY_THRESHOLD) {
      this.commandHeader(name, size, 0);
      const b = Buffer.allocUnsafe(size);
      this.pushLarge(b);
      return b;
    }
    this.commandHeader(name, size, size);
    const at = this.used;
    this.used += size;
    this.pending += size;
    return this.slab.subarray(at, at + size);
  }

  /** A frame whose `size` body bytes the caller writes into the returned view
   * (in the slab, or a buffer of its own when large) before the next call. */
  frameSpace(flags: number, size: number): Buffer {
    const large = size >= LARGE_BODY_THRESHOLD;
    this.ensure(HEADER_ROOM + (large ? 0 : size));
    this.header(flags & (FLAG_MORE | FLAG_COMMAND), size);
    if (large) {
      const b = Buffer.allocUnsafe(size);
      this.pushLarge(b);
      return b;
    }
    const at = this.used;
    this.used += size;
    this.pending += size;
    return this.slab.subarray(at, at + size);
  }

  /** Header, name length and name of a command with `size` data bytes, with
   * room for `room` more bytes after them in the slab. */
  private commandHeader(name: string, size: number, room: number): void {
    const nameLen = name.length;
    if (nameLen < 1 || nameLen > 255) throw badName(name);
    for (let i = 0; i < nameLen; i++) {
      const c = name.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) throw badName(name);
    }
    this.ensure(HEADER_ROOM + 1 + nameLen + room);
    this.header(FLAG_COMMAND, 1 + nameLen + size);
    const slab = this.slab;
    let o = this.used;
    slab[o++] = nameLen;
    for (let i = 0; i < nameLen; i++) slab[o++] = name.charCodeAt(i);
    this.used = o;
    this.pending += 1 + nameLen;
  }

  /**
   * A (un)subscription, in the form the peer understands: SUBSCRIBE/CANCEL commands for a
   * ZMTP 3.1 peer (peerMinor >= 1), a one-frame 0x01/0x00 + topic message for a 3.0 peer.
   */
  writeSubscription(subscribe: boolean, topic: Buffer, peerMinor: number): void {
    if (peerMinor >= 1) {
      this.writeCommand(subscribe ? CMD_SUBSCRIBE : CMD_CANCEL, topic);
      return;
    }
    const large = topic.length >= LARGE_BODY_THRESHOLD;
    this.ensure(HEADER_ROOM + 1 + (large ? 0 : topic.length));
    this.header(0, 1 + topic.length);
    this.slab[this.used++] = subscribe ? SUBSCRIBE_BYTE : CANCEL_BYTE;
    this.pending += 1;
    this.body(topic, large);
  }

  /** Append bytes already in wire form (a greeting, or a message encoded once for many peers). */
  writeRaw(bytes: Buffer): void {
    const large = bytes.length >= LARGE_BODY_THRESHOLD;
    if (!large) this.ensure(bytes.length);
    this.body(bytes, large);
  }

  /** The pending batch (possibly empty); the encoder starts a new one and never touches these. */
  take(): Buffer[] {
    this.closeRegion();
    const out = this.chunks;
    this.chunks = [];
    this.pending = 0;
    this.batch++;
    return out;
  }

  private ensure(n: number): void {
    if (this.slab.length - this.used >= n) return;
    this.closeRegion();
    if (this.slab.length === SLAB_SIZE) this.retired.push({ slab: this.slab, batch: this.batch });
    this.slab = n <= SLAB_SIZE ? (pool.pop() ?? Buffer.allocUnsafe(SLAB_SIZE)) : Buffer.allocUnsafe(n);
    this.used = 0;
    this.start = 0;
  }

  /** The number take() gave the last batch it returned. */
  get lastBatch(): number {
    return this.batch - 1;
  }

  /** Every batch up to `batch` has been written (the stream's write callback):
   * slabs they alone used may be filled again. Without this call the encoder
   * simply allocates, so it is an optimisation, never needed for correctness. */
  released(batch: number): void {
    const r = this.retired;
    while (r.length > 0 && r[0]!.batch <= batch) {
      const { slab } = r.shift()!;
      if (pool.length < POOL_MAX) pool.push(slab);
    }
    // Idle: everything handed out is written and nothing new is pending, so
    // the current slab goes back to the pool too. An idle connection then
    // holds no slab (1000 idle connections would otherwise pin 64 MiB).
    if (batch >= this.batch - 1 && this.pending === 0 && this.slab.length === SLAB_SIZE) {
      if (pool.length < POOL_MAX) pool.push(this.slab);
      this.slab = NO_SLAB;
      this.used = 0;
      this.start = 0;
    }
  }

  /** A large body into the batch by reference (the encoder's own buffers, as
   * frameSpace hands out, come straight here). */
  private pushLarge(b: Buffer): void {
    this.pending += b.length;
    this.closeRegion();
    this.chunks.push(b);
  }

  /** Move the slab bytes written since the last region into the batch. */
  private closeRegion(): void {
    if (this.used > this.start) {
      this.chunks.push(this.slab.subarray(this.start, this.used));
      this.start = this.used;
    }
  }

  /** Flags + 1-byte size up to 255, else flags|LONG + 8-byte BE size. Space
   * is ensured. Another framing of the same frames overrides only this. */
  protected header(flags: number, size: number): void {
    const slab = this.slab;
    let o = this.used;
    if (size <= MAX_SHORT_SIZE) {
      slab[o++] = flags;
      slab[o++] = size;
      this.pending += SHORT_HEADER_SIZE;
    } else {
      slab[o++] = flags | FLAG_LONG;
      o = writeSize64(slab, o, size);
      this.pending += LONG_HEADER_SIZE;
    }
    this.used = o;
  }

  /** Copy a small body into the slab (space is ensured) or reference a large
   * one (the application's Buffer: a framing that must not reference it
   * overrides this). */
  protected body(b: Buffer, large: boolean): void {
    if (large) {
      this.pushLarge(b);
      return;
    }
    const size = b.length;
    this.pending += size;
    if (size < 32) {
      const slab = this.slab;
      let o = this.used;
      for (let i = 0; i < size; i++) slab[o++] = b[i]!;
      this.used = o;
    } else {
      // TypedArray set, not Buffer.copy: same memcpy without copy()'s argument checks
      this.slab.set(b, this.used);
      this.used += size;
    }
  }
}

/** A size as 8 big-endian bytes at o; returns the offset after them. Byte by
 * byte: cheaper than writeUInt32BE's checks on the hot path. */
export function writeSize64(b: Buffer, o: number, size: number): number {
  const hi = Math.floor(size / TWO_32);
  const lo = size >>> 0;
  b[o++] = hi >>> 24;
  b[o++] = (hi >>> 16) & 0xff;
  b[o++] = (hi >>> 8) & 0xff;
  b[o++] = hi & 0xff;
  b[o++] = lo >>> 24;
  b[o++] = (lo >>> 16) & 0xff;
  b[o++] = (lo >>> 8) & 0xff;
  b[o++] = lo & 0xff;
  return o;
}

function badName(name: string): ZmqError {
  return new ZmqError("EINVAL", `Invalid ZMTP command name: ${JSON.stringify(name)}`);
}
