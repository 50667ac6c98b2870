// The unit above the codec: one whole multipart message, as an array of frames.
// Pipes, patterns and queues only ever move whole messages, so atomicity is free.

/** What may travel beside a message's frames (libzmq keeps these in msg_t).
 * Absent on most messages: NULL connections and inproc attach nothing. */
export interface MessageMeta {
  /** SERVER/CLIENT, PEER: the peer a reply goes to (zmq_msg_routing_id). */
  routingId?: number;
  /** RADIO/DISH: the message's group (zmq_msg_group). */
  group?: string;
  /** The connection's properties: User-Id and ZAP metadata from the security
   * mechanism, Peer-Address (zmq_msg_gets). Shared by every message of one
   * connection: read-only. */
  properties?: ReadonlyMap<string, Buffer>;
}

/** A whole message; `meta` rides along through pipes and patterns (a pattern
 * that builds a new array for a message carries it over). */
export type Msg = Buffer[] & { meta?: MessageMeta };

/** `out`, carrying `from`'s metadata: for a pattern that builds a new array
 * for a message (an envelope added or removed). */
export function withMeta(out: Msg, from: Msg): Msg {
  const meta = from.meta;
  if (meta !== undefined) out.meta = meta;
  return out;
}

/** The metadata a received message carries, if any (omq; libzmq zmq_msg_gets). */
export function messageMetadata(msg: readonly Buffer[]): MessageMeta | undefined {
  return (msg as Msg).meta;
}

/** A message part as accepted by send() (as zeromq.js). */
export type MessageLike =
  | string
  | Buffer
  | ArrayBufferView
  | ArrayBuffer
  | SharedArrayBuffer
  | number
  | null;

/** A shared empty frame (delimiters, probes). Never written to. */
export const EMPTY_FRAME = Buffer.alloc(0);
const EMPTY = EMPTY_FRAME;

/** Bytes sent at or below this size are copied when send() is called, as
 * zeromq.js 6 copies them (its `zero_copy_threshold`, 128): the caller may
 * reuse a small Buffer at once, and a queued message does not keep it alive.
 * Larger ones are referenced until written: do not change them meanwhile. */
export const COPY_THRESHOLD = 128;

/** A Buffer over a slab of our own: Node's FastBuffer is not exported, so this
 * is its twin (same prototype chain, `constructor` Buffer, and Buffer's species
 * for subarray/slice): Buffer.isBuffer and instanceof Buffer hold. */
class SlabFrame extends Uint8Array {}
Object.setPrototypeOf(SlabFrame.prototype, Buffer.prototype);
Object.defineProperty(SlabFrame.prototype, "constructor", { value: Buffer, writable: true, configurable: true });

/** Copies are carved from one slab, as Buffer.allocUnsafe carves its pool, but
 * without allocUnsafe's checks and pool bookkeeping: ~25% cheaper per 16 B
 * copy in situ. A live copy keeps its slab alive, as with Node's pool, so the
 * slab is as small as Node's (8 KiB). Offsets stay 8-aligned for readers of
 * wider views. */
const SLAB_SIZE = 8192;
let slabBuf = new ArrayBuffer(SLAB_SIZE);
let slab = new Uint8Array(slabBuf);
let slabOff = 0;

/** `b` itself above the threshold, else a copy from the slab. */
function owned(b: Buffer): Buffer {
  const n = b.length;
  if (n > COPY_THRESHOLD) return b;
  if (n === 0) return EMPTY;
  if (slabOff + n > SLAB_SIZE) {
    slabBuf = new ArrayBuffer(SLAB_SIZE);
    slab = new Uint8Array(slabBuf);
    slabOff = 0;
  }
  slab.set(b, slabOff);
  const c = new SlabFrame(slabBuf, slabOff, n) as unknown as Buffer;
  slabOff = (slabOff + n + 7) & ~7;
  return c;
}

export function toFrame(part: MessageLike): Buffer {
  if (Buffer.isBuffer(part)) return owned(part);
  if (typeof part === "string") return Buffer.from(part, "utf8");
  if (part === null) return EMPTY;
  if (typeof part === "number") return Buffer.from(String(part), "utf8");
  if (ArrayBuffer.isView(part)) return owned(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  if (part instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && part instanceof SharedArrayBuffer)) {
    return owned(Buffer.from(part));
  }
  // anything else as its string form, as zeromq.js (booleans, objects,
  // bigints, undefined inside an array; a Symbol throws TypeError there too)
  return Buffer.from(`${part as unknown as string}`, "utf8");
}

/** send()'s argument to a Msg. Never modifies the caller's Buffers; copies
 * those of COPY_THRESHOLD bytes or fewer. */
export function toFrames(message: MessageLike | MessageLike[]): Msg {
  if (Array.isArray(message)) {
    if (message.length === 0) throw new TypeError("Message must contain at least one part");
    const out = new Array<Buffer>(message.length);
    for (let i = 0; i < message.length; i++) out[i] = toFrame(message[i] as MessageLike);
    return out;
  }
  if (message === undefined) throw new TypeError("Message must be present");
  return [toFrame(message)];
}

/** Sum of frame lengths. */
export function msgSize(msg: Msg): number {
  let n = 0;
  for (let i = 0; i < msg.length; i++) n += msg[i]!.length;
  return n;
}
