// What a receiver knows about one sender (one session id): the receive window
// [next, lead], the packets held out of order, the gaps being NAKed, and the
// reassembly of the ZMTP stream into whole messages.
//
// Invariants: every key of `slots` and `gaps` lies in [next, lead], and
// lead - next < MAX_WINDOW_PACKETS, so a session never holds more than one
// window (and never more than MAX_WINDOW_BYTES of payload), whatever it is sent.
// A sequence is either delivered in order, or given up (its slot becomes null)
// when the sender's trail has passed it or its NAKs ran out; a given-up
// sequence loses the messages it touched, whole, and the stream resumes at the
// next packet where a message starts.
import type { Msg } from "../../lib/core/message.js";
import { MessageDecoder } from "../../lib/zmtp/message-decoder.js";
import type { PgmTiming } from "./hooks.js";
import { type DataPacket, MAX_NAK_SEQS, NO_OFFSET, type SpmPacket, seqAdd, seqDiff, seqLt } from "./packet.js";
import { MAX_WINDOW_BYTES, MAX_WINDOW_PACKETS } from "./window.js";

/** Far out-of-window packets tolerated before a silent-in-window session may start over. */
const RESYNC_COUNT = 32;

export interface SessionHost {
  readonly timing: PgmTiming;
  readonly maxMessageSize: number;
  sendNak(s: RxSession, seqs: number[]): void;
  deliver(msg: Msg): void;
  /** `lost` whole messages could not be repaired. */
  reportLoss(lost: number): void;
  /** The session heard only far out-of-window packets for too long. */
  restart(s: RxSession): void;
}

interface Gap {
  tries: number;
  due: number;
}

export class RxSession {
  /** Next sequence to deliver. */
  private next: number;
  /** Highest sequence known to exist (next - 1 when nothing is outstanding). */
  private lead: number;
  /** Held packets by sequence; null = given up. */
  private readonly slots = new Map<number, DataPacket | null>();
  private bytes = 0;
  private readonly gaps = new Map<number, Gap>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  /** Defined while synchronised on the message stream. */
  private decoder: MessageDecoder | undefined;
  /** Number of the next whole message expected; meaningful once `baseline`. */
  private nextMsg = 0;
  private baseline = false;
  private farCount = 0;
  private lastInWindow: number;
  lastHeard: number;
  private closed = false;

  /** Join at `first`: an ODATA (start at its sequence) or an SPM (start after its lead). */
  constructor(
    private readonly host: SessionHost,
    readonly id: Buffer,
    readonly address: string,
    readonly port: number,
    first: DataPacket | SpmPacket,
    now: number,
  ) {
    this.lastHeard = this.lastInWindow = now;
    if (first.type === "spm") {
      this.next = seqAdd(first.lead, 1);
      this.lead = first.lead;
    } else {
      this.next = first.seq;
      this.lead = seqAdd(first.seq, -1);
      this.onData(first, now);
    }
  }

  get held(): number {
    return this.slots.size;
  }
  get heldBytes(): number {
    return this.bytes;
  }
  get gapCount(): number {
    return this.gaps.size;
  }

  onData(p: DataPacket, now: number): void {
    const span = seqDiff(p.seq, p.trail);
    if (span < 0 || span >= MAX_WINDOW_PACKETS) return; // not a window any sender has
    const ahead = seqDiff(p.seq, this.next);
    if (ahead < 0) return; // delivered or given up already
    if (ahead >= MAX_WINDOW_PACKETS) return this.far(now);
    this.heard(now);
    this.applyTrail(p.trail);
    const have = this.slots.get(p.seq);
    if (have !== undefined && have !== null) return; // duplicate
    const len = p.payload.length;
    // the packet at `next` is consumed at once; others wait within the byte budget
    if (p.seq !== this.next && this.bytes + len > MAX_WINDOW_BYTES) return;
    this.slots.set(p.seq, p);
    this.bytes += len;
    this.gaps.delete(p.seq);
    if (seqLt(this.lead, p.seq)) {
      this.addGaps(seqAdd(this.lead, 1), p.seq, now);
      this.lead = p.seq;
    }
    this.advance();
  }

  onSpm(p: SpmPacket, now: number): void {
    const size = seqDiff(p.lead, p.trail) + 1;
    if (size < 0 || size > MAX_WINDOW_PACKETS) return;
    const ahead = seqDiff(p.lead, this.next);
    if (ahead < -1) return; // older than what we have
    if (ahead >= MAX_WINDOW_PACKETS) return this.far(now);
    this.heard(now);
    this.applyTrail(p.trail);
    if (seqLt(this.lead, p.lead)) {
      // the tail we never saw: RFC 3208 5.1.4, SPMs let receivers detect loss at the lead
      this.addGaps(seqAdd(this.lead, 1), seqAdd(p.lead, 1), now);
      this.lead = p.lead;
    }
    this.advance();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.slots.clear();
    this.gaps.clear();
    this.bytes = 0;
    this.decoder = undefined;
  }

  private heard(now: number): void {
    this.lastHeard = this.lastInWindow = now;
    this.farCount = 0;
  }

  private far(now: number): void {
    if (++this.farCount >= RESYNC_COUNT && now - this.lastInWindow >= this.host.timing.resyncAfter) {
      this.host.restart(this);
    }
  }

  /** Sequences before the sender's trail can no longer be repaired: deliver what
   * is held, give up the rest. trail - next < MAX_WINDOW_PACKETS (checked by callers). */
  private applyTrail(trail: number): void {
    while (seqLt(this.next, trail)) {
      const s = this.slots.get(this.next);
      this.take(this.next, s ?? null);
      this.next = seqAdd(this.next, 1);
    }
    if (seqLt(this.lead, this.next)) this.lead = seqAdd(this.next, -1);
  }

  /** Deliver consecutive held (or given-up) sequences from `next`. */
  private advance(): void {
    for (;;) {
      const s = this.slots.get(this.next);
      if (s === undefined) return;
      this.take(this.next, s);
      this.next = seqAdd(this.next, 1);
    }
  }

  private take(seq: number, s: DataPacket | null): void {
    this.slots.delete(seq);
    this.gaps.delete(seq);
    if (s === null) {
      this.decoder = undefined; // the message in progress is lost
      return;
    }
    this.bytes -= s.payload.length;
    this.feed(s);
  }

  /** Sequences [from, to) not held become gaps, NAKed after one random back-off. */
  private addGaps(from: number, to: number, now: number): void {
    const n = seqDiff(to, from);
    if (n <= 0) return;
    const due = now + Math.random() * this.host.timing.nakBackoff;
    for (let i = 0; i < n; i++) {
      const seq = seqAdd(from, i);
      if (!this.slots.has(seq) && !this.gaps.has(seq)) this.gaps.set(seq, { tries: 0, due });
    }
    this.arm(due, now);
  }

  private arm(due: number, now: number): void {
    if (this.closed || due >= this.timerDue) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - now));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.closed) return;
    const now = performance.now();
    const t = this.host.timing;
    const nak: number[] = [];
    let gaveUp = false;
    let nextDue = Infinity;
    for (const [seq, g] of this.gaps) {
      if (g.due <= now + 1) {
        if (g.tries >= t.nakMaxRetries) {
          // NAKs ran out (RFC 3208 5.3: NAK_NCF_RETRIES / NAK_DATA_RETRIES): unrecoverable
          this.gaps.delete(seq);
          this.slots.set(seq, null);
          gaveUp = true;
          continue;
        }
        g.tries++;
        g.due = now + t.nakRepeat;
        nak.push(seq);
      }
      if (g.due < nextDue) nextDue = g.due;
    }
    nak.sort((a, b) => seqDiff(a, b));
    for (let i = 0; i < nak.length; i += MAX_NAK_SEQS) {
      this.host.sendNak(this, nak.slice(i, i + MAX_NAK_SEQS));
    }
    if (gaveUp) this.advance();
    if (nextDue !== Infinity) this.arm(nextDue, now);
  }

  /** Append a packet's payload to the message stream, resynchronising at the
   * first message boundary after a loss or a late join. */
  private feed(p: DataPacket): void {
    let bytes = p.payload;
    if (this.decoder === undefined) {
      if (p.firstOffset === NO_OFFSET) return; // the middle of a message we cannot have whole
      if (this.baseline) {
        const lost = (p.msgSeq - this.nextMsg) >>> 0;
        if (lost > 0 && lost < 0x80000000) this.host.reportLoss(lost);
      }
      this.baseline = true;
      this.nextMsg = p.msgSeq;
      this.decoder = new MessageDecoder(
        {
          onMessage: (m) => {
            this.nextMsg = (this.nextMsg + 1) >>> 0;
            this.host.deliver(m);
          },
          onCommand: () => {
            throw new Error("command frame in a pgm stream");
          },
        },
        { maxMessageSize: this.host.maxMessageSize },
      );
      bytes = bytes.subarray(p.firstOffset);
    }
    try {
      this.decoder.push(bytes);
    } catch {
      // malformed or oversized: the message is dropped whole and counted at the next boundary
      this.decoder = undefined;
    }
  }
}
