// The sender's transmit window (PGM's TXW): the last `capacity` data packets
// sent, by sequence, so NAKed ones can be repaired. Sized in packets from
// rate x recoveryInterval / maxTPDU as libzmq configures OpenPGM, bounded by
// MAX_WINDOW_PACKETS and MAX_WINDOW_BYTES.
import { seqAdd } from "./packet.js";

/** Upper bound on any window, sender or receiver, in packets. */
export const MAX_WINDOW_PACKETS = 16384;
/** Upper bound on the bytes one window may hold. */
export const MAX_WINDOW_BYTES = 64 * 1024 * 1024;

/** libzmq (pgm_socket.cpp): rate (kbit/s) / 8 x recovery interval (ms) / max TPDU. */
export function windowPackets(rateKbit: number, recoveryMs: number, tpdu: number): number {
  const n = Math.floor(((rateKbit / 8) * recoveryMs) / tpdu);
  return Math.max(1, Math.min(n, MAX_WINDOW_PACKETS, Math.floor(MAX_WINDOW_BYTES / tpdu)));
}

export class TxWindow {
  /** Slot i holds sequence trail + i for i < count; a ring starting at `head`. */
  private readonly bodies: (Buffer | undefined)[];
  /** When each slot was last repaired (ms), for the repair hold-off. */
  private readonly repairedAt: number[];
  private head = 0;
  private count = 0;
  /** Oldest sequence held; while empty, the next sequence to be pushed. */
  trail: number;

  constructor(
    readonly capacity: number,
    firstSeq: number,
  ) {
    this.bodies = new Array<Buffer | undefined>(capacity);
    this.repairedAt = new Array<number>(capacity).fill(0);
    this.trail = firstSeq >>> 0;
  }

  get length(): number {
    return this.count;
  }

  /** The newest sequence held (trail - 1 when empty). */
  get lead(): number {
    return seqAdd(this.trail, this.count - 1);
  }

  /** Add the next sequence (lead + 1), evicting the oldest when full. */
  push(body: Buffer): void {
    const cap = this.capacity;
    if (this.count === cap) {
      this.bodies[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.trail = seqAdd(this.trail, 1);
      this.count--;
    }
    const i = (this.head + this.count) % cap;
    this.bodies[i] = body;
    this.repairedAt[i] = 0;
    this.count++;
  }

  private slot(seq: number): number {
    const d = (seq - this.trail) >>> 0;
    return d < this.count ? (this.head + d) % this.capacity : -1;
  }

  has(seq: number): boolean {
    return this.slot(seq) >= 0;
  }

  get(seq: number): Buffer | undefined {
    const i = this.slot(seq);
    return i >= 0 ? this.bodies[i] : undefined;
  }

  /** Marks `seq` repaired at `now`; false if it was repaired less than `holdoff` ms ago
   * or is no longer in the window. */
  claimRepair(seq: number, now: number, holdoff: number): boolean {
    const i = this.slot(seq);
    if (i < 0) return false;
    if (this.repairedAt[i]! !== 0 && now - this.repairedAt[i]! < holdoff) return false;
    this.repairedAt[i] = now;
    return true;
  }
}
