// A token bucket in bytes for the sender's bandwidth (ZMQ_RATE, kbit/s). PGM
// has no congestion control: the configured rate is all there is. ODATA,
// RDATA and SPMs all draw from it; each datagram costs its size plus the
// IPv4/UDP headers, as OpenPGM counts.
export class TokenBucket {
  /** Bytes per millisecond. */
  readonly perMs: number;
  /** Bucket depth in bytes: 20 ms of rate, and at least two max-size datagrams. */
  readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(rateKbit: number, tpdu: number, now: number) {
    this.perMs = (rateKbit * 1000) / 8 / 1000;
    this.capacity = Math.max(2 * tpdu, this.perMs * 20);
    this.tokens = this.capacity;
    this.last = now;
  }

  private refill(now: number): void {
    const dt = now - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + dt * this.perMs);
      this.last = now;
    }
  }

  /** Take `bytes` if available now. A datagram larger than the bucket goes
   * when the bucket is full. */
  tryTake(bytes: number, now: number): boolean {
    this.refill(now);
    if (this.tokens >= bytes || this.tokens >= this.capacity) {
      this.tokens -= bytes;
      return true;
    }
    return false;
  }

  /** Take unconditionally (session messages); the balance may go negative. */
  take(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
  }

  /** Milliseconds until `bytes` could be taken (at least 1). */
  waitFor(bytes: number, now: number): number {
    this.refill(now);
    const need = Math.min(bytes, this.capacity) - this.tokens;
    return Math.max(1, Math.ceil(need / this.perMs));
  }
}
