// The PUB/XPUB side of the stand-in: one UDP socket bound to the interface
// address on an ephemeral port (data goes out to the group from it, NAKs come
// back to it). Messages read from the pipe are fragmented into numbered ODATA
// packets, paced by a token bucket at `rate`, and kept in a transmit window so
// NAKed sequences can be repaired with RDATA (multicast, so every receiver
// missing them benefits). Session messages (SPM) advertise the window's lead
// and trail: periodically, in a burst after data, and in answer to NAKs for
// sequences that have left the window.
import { randomBytes } from "node:crypto";
import type dgram from "node:dgram";
import { loadDgram } from "./dgram.js";
import type { PipeEnd } from "../../lib/core/pipe.js";
import { RingQueue } from "../../lib/core/ring-queue.js";
import type { TransportHost } from "../../lib/core/transport.js";
import { Fragmenter } from "./fragmenter.js";
import { type PgmTiming, hooksFor, timingFor } from "./hooks.js";
import {
  DATA_HEADER_SIZE, HEADER_SIZE, IP_UDP_OVERHEAD, dataHeader, decodePacket, encodeSpm, sessionKey,
} from "./packet.js";
import { TokenBucket } from "./rate-limiter.js";
import { TxWindow, windowPackets } from "./window.js";

/** Data packets read ahead of the rate limiter; beyond it messages wait in the
 * pipe, where the socket's send HWM applies (PUB drops there, as libzmq). */
const QUEUE_LIMIT = 64;

interface Queued {
  seq: number;
  body: Buffer;
}

export interface SenderStats {
  window: number;
  windowCapacity: number;
  queued: number;
  repairsQueued: number;
  odata: number;
  rdata: number;
  spm: number;
  naksReceived: number;
}

export class PgmSender {
  private sock: dgram.Socket | undefined;
  private ready = false;
  private closing = false;
  private closed = false;
  readonly session = randomBytes(8);
  readonly sessionHex = sessionKey(this.session);
  private readonly timing: PgmTiming;
  private readonly window: TxWindow;
  private readonly frag: Fragmenter;
  private readonly bucket: TokenBucket;
  private readonly queue = new RingQueue<Queued>();
  private readonly repairs = new RingQueue<number>();
  private readonly repairSet = new Set<number>();
  /** Sequence of the next packet the fragmenter makes. */
  private nextSeq: number;
  /** The pipe may hold messages we stopped reading at QUEUE_LIMIT. */
  private pipeMayHaveMore = false;
  private readScheduled = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  private spmTimer: NodeJS.Timeout | undefined;
  private spmDue = Infinity;
  /** Next index into timing.spmHeartbeats (its length: ambient). */
  private hb = 0;
  private lastSpmAt = -Infinity;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Sends handed to libuv and not yet completed: closing the socket would cancel them. */
  private inflight = 0;
  private closeWhenSent = false;
  /** Settles a pending open() when the sender is destroyed during the bind. */
  private abortOpen: (() => void) | undefined;
  private readonly stats = { odata: 0, rdata: 0, spm: 0, naksReceived: 0 };

  constructor(
    private readonly host: TransportHost,
    private readonly ifaceAddr: string,
    private readonly group: string,
    private readonly port: number,
    private readonly end: PipeEnd,
  ) {
    const o = host.options;
    const tpdu = o.multicastMaxTransportDataUnit;
    this.timing = timingFor(host);
    const first = hooksFor(host)?.initialSequence ?? randomBytes(4).readUInt32BE(0);
    this.nextSeq = first >>> 0;
    this.window = new TxWindow(windowPackets(o.rate, o.recoveryInterval, tpdu), this.nextSeq);
    this.bucket = new TokenBucket(o.rate, tpdu, performance.now());
    const payload = tpdu - IP_UDP_OVERHEAD - DATA_HEADER_SIZE;
    this.frag = new Fragmenter(payload, 0, (body) => {
      this.queue.push({ seq: this.nextSeq, body });
      this.nextSeq = (this.nextSeq + 1) >>> 0;
    });
    end.sink = {
      readActivated: () => this.scheduleRead(),
      writeActivated: () => {},
      terminated: () => this.close(),
    };
  }

  /** Bind the socket; rejects with the system error. */
  open(): Promise<void> {
    return loadDgram().then((dgram) => new Promise<void>((resolve, reject) => {
      if (this.closed) return resolve();
      const s = dgram.createSocket({ type: "udp4" });
      this.sock = s;
      const fail = (err: Error) => {
        this.abortOpen = undefined;
        this.destroy();
        reject(err);
      };
      this.abortOpen = () => resolve();
      s.once("error", fail);
      s.on("message", (b) => this.onMessage(b));
      s.bind(0, this.ifaceAddr, () => {
        this.abortOpen = undefined;
        s.off("error", fail);
        s.on("error", () => {}); // send errors surface in callbacks; nothing else is fatal
        if (this.closed) return resolve();
        try {
          s.setMulticastInterface(this.ifaceAddr);
          s.setMulticastTTL(this.host.options.multicastHops ?? 1);
          s.setMulticastLoopback(true);
        } catch (e) {
          fail(e as Error);
          return;
        }
        s.unref();
        this.ready = true;
        this.fireSpm();
        this.read();
        resolve();
      });
    }));
  }

  getStats(): SenderStats {
    return {
      window: this.window.length,
      windowCapacity: this.window.capacity,
      queued: this.queue.length,
      repairsQueued: this.repairs.length,
      ...this.stats,
    };
  }

  private scheduleRead(): void {
    if (this.readScheduled || !this.ready || this.closed) return;
    this.readScheduled = true;
    // one tick of batching: messages sent together share packets
    setImmediate(() => {
      this.readScheduled = false;
      this.read();
    });
  }

  /** Read messages from the pipe up to the queue limit, then send what the rate allows. */
  private read(): void {
    if (this.closed || !this.ready) return;
    this.readSome();
    this.pump();
  }

  private readSome(): void {
    let any = false;
    this.pipeMayHaveMore = false;
    while (this.queue.length < QUEUE_LIMIT || this.closing) {
      const m = this.end.read();
      if (m === undefined) break;
      this.frag.add(m);
      any = true;
      if (this.queue.length >= QUEUE_LIMIT && !this.closing) this.pipeMayHaveMore = true;
    }
    if (any) this.frag.flush();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumpTimer !== undefined) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
    }
    for (;;) {
      const now = performance.now();
      let repairSeq: number | undefined;
      let body: Buffer | undefined;
      while (this.repairs.length > 0) {
        const seq = this.repairs.peek()!;
        body = this.window.get(seq);
        if (body !== undefined) {
          repairSeq = seq;
          break;
        }
        this.repairs.shift(); // left the window meanwhile
        this.repairSet.delete(seq);
      }
      let q: Queued | undefined;
      if (repairSeq === undefined) {
        q = this.queue.peek();
        if (q === undefined) {
          if (this.pipeMayHaveMore && !this.closing) {
            this.readSome();
            if (this.queue.length > 0) continue;
          }
          break;
        }
        body = q.body;
      }
      const cost = HEADER_SIZE + body!.length + IP_UDP_OVERHEAD;
      if (!this.bucket.tryTake(cost, now)) {
        // ref'd: queued data is not "idle"; it drains at `rate` and then stops
        this.pumpTimer = setTimeout(() => {
          this.pumpTimer = undefined;
          this.pump();
        }, this.bucket.waitFor(cost, now));
        return;
      }
      if (repairSeq !== undefined) {
        this.repairs.shift();
        this.repairSet.delete(repairSeq);
        this.stats.rdata++;
        this.transmit(dataHeader(true, this.session, repairSeq, this.window.trail), body!);
      } else {
        this.queue.shift();
        this.window.push(body!);
        this.stats.odata++;
        this.transmit(dataHeader(false, this.session, q!.seq, this.window.trail), body!);
        this.dataSent(now);
      }
      if (this.queue.length < QUEUE_LIMIT / 2 && this.pipeMayHaveMore && !this.closing) this.readSome();
    }
    if (this.closing && this.queue.length === 0) this.destroy();
  }

  private transmit(head: Buffer, body?: Buffer): void {
    const s = this.sock;
    if (s === undefined || this.closed) return;
    const hooks = hooksFor(this.host);
    if (hooks?.dropOutgoing !== undefined) {
      const p = decodePacket(body === undefined ? head : Buffer.concat([head, body]));
      if (p !== undefined && hooks.dropOutgoing(p)) return;
    }
    try {
      this.inflight++;
      s.send(body === undefined ? head : [head, body], this.port, this.group, () => this.sent());
    } catch {
      this.inflight--; // socket closed under us
    }
  }

  private sent(): void {
    if (--this.inflight === 0 && this.closeWhenSent) this.closeSocket();
  }

  // --- session messages ---

  private dataSent(now: number): void {
    this.hb = 0;
    const first = this.timing.spmHeartbeats[0] ?? this.timing.spmAmbient;
    if (this.spmDue - now > first) this.armSpm(first, now);
  }

  private armSpm(ms: number, now: number): void {
    if (this.spmTimer !== undefined) clearTimeout(this.spmTimer);
    this.spmDue = now + ms;
    this.spmTimer = setTimeout(() => this.fireSpm(), ms);
    this.spmTimer.unref();
  }

  private fireSpm(): void {
    this.spmTimer = undefined;
    if (this.closed) return;
    const now = performance.now();
    this.sendSpm(now);
    const hbs = this.timing.spmHeartbeats;
    const ivl = this.hb < hbs.length ? hbs[this.hb++]! : this.timing.spmAmbient;
    this.armSpm(ivl, now);
  }

  private sendSpm(now: number): void {
    this.lastSpmAt = now;
    this.stats.spm++;
    this.bucket.take(HEADER_SIZE + IP_UDP_OVERHEAD, now);
    this.transmit(encodeSpm(this.session, this.window.lead, this.window.trail));
  }

  // --- NAKs ---

  private onMessage(b: Buffer): void {
    if (this.closed) return;
    const p = decodePacket(b);
    // NAKs for other sessions, and anything else, are ignored
    if (p === undefined || p.type !== "nak" || p.session !== this.sessionHex) return;
    const hooks = hooksFor(this.host);
    if (hooks?.dropIncoming?.(p) === true) return;
    this.stats.naksReceived++;
    const now = performance.now();
    let outside = false;
    let queued = false;
    for (const seq of p.seqs) {
      if (!this.window.has(seq)) {
        outside = true;
        continue;
      }
      // the repair queue holds each in-window sequence at most once: bounded by the window
      if (this.repairSet.has(seq) || !this.window.claimRepair(seq, now, this.timing.repairHoldoff)) continue;
      this.repairSet.add(seq);
      this.repairs.push(seq);
      queued = true;
    }
    // tell the receiver where the window is, so it gives up at once
    if (outside && now - this.lastSpmAt >= this.timing.spmReplyHoldoff) this.sendSpm(now);
    if (queued && this.pumpTimer === undefined && !this.closing) this.pump();
  }

  // --- closing ---

  /** Idempotent. Messages already queued by the socket are sent for up to
   * `linger` ms (-1: until done, at `rate`); then everything is released. */
  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    const linger = this.host.options.linger;
    if (linger === 0) {
      this.destroy();
      return;
    }
    if (linger > 0) this.lingerTimer = setTimeout(() => this.destroy(), linger);
    if (!this.ready) return; // open() finishes first; then read() drains and pump() destroys
    this.readSome();
    this.end.close();
    this.pump();
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.ready = false;
    for (const t of [this.pumpTimer, this.spmTimer, this.lingerTimer]) if (t !== undefined) clearTimeout(t);
    this.pumpTimer = this.spmTimer = this.lingerTimer = undefined;
    this.queue.clear();
    this.repairs.clear();
    this.repairSet.clear();
    this.end.close();
    const abort = this.abortOpen;
    this.abortOpen = undefined;
    abort?.();
    // let the last datagrams leave: libuv completes UDP sends promptly
    if (this.inflight > 0) this.closeWhenSent = true;
    else this.closeSocket();
  }

  private closeSocket(): void {
    this.closeWhenSent = false;
    const s = this.sock;
    this.sock = undefined;
    if (s !== undefined) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
