// A pipe joins two ends with one bounded queue in each direction. The unit is a
// whole multipart message, so a message is never split by a high-water mark.
//
// Notifications follow libzmq's pipe_t: the reader is told `readActivated` only
// after it has seen the queue empty (read()/checkRead() failed), the writer is
// told `writeActivated` only after a write was refused at the HWM and the reader
// has drained down to the low-water mark (half the HWM, libzmq compute_lwm), so
// the two sides do not wake each other for every message.
import type { Msg } from "./message.js";
import { RingQueue } from "./ring-queue.js";

/** What a pattern knows about the peer at the other end of a pipe. */
export interface PeerInfo {
  /** The peer's socket type in ZMTP spelling ("PUB", "ROUTER"...), null until known. */
  socketType: string | null;
  /** The routing id the peer announced (ZMTP `Identity`), if any. */
  routingId?: Buffer;
  /** The endpoint this pipe belongs to (the bind or connect address). */
  endpoint: string;
  /** True when this socket initiated the connection (connect()). */
  locallyInitiated: boolean;
  /** The id given by Router.connect(addr, { routingId }). */
  connectRoutingId?: Buffer;
}

/** Callbacks of the owner of one end (a pattern). Never called re-entrantly
 * from inside that end's own write()/read(). */
export interface PipeSink {
  readActivated(pipe: PipeEnd): void;
  writeActivated(pipe: PipeEnd): void;
  /** The peer end closed and every message it wrote has been read. */
  terminated(pipe: PipeEnd): void;
  /** The peer (re)completed its handshake; `pipe.peer` is up to date. */
  peerReady?(pipe: PipeEnd): void;
  /** The connection behind the pipe was re-established (libzmq hiccup). */
  hiccuped?(pipe: PipeEnd): void;
}

export class Direction {
  readonly q = new RingQueue<Msg>();
  /** Contributions to the HWM: the writer's SNDHWM and the reader's RCVHWM.
   * undefined means "this end adds nothing" (a session); 0 means unlimited. */
  writerHwm: number | undefined = undefined;
  readerHwm: number | undefined = undefined;
  hwm = 0;
  lwm = 0;
  conflate = false;
  writerBlocked = false;
  /** With writerBlocked: wake the writer once the queue is down to this many
   * (pauseWriting); -1 = libzmq's rule, at the low-water mark. */
  wakeAt = -1;
  readerAsleep = false;
  writerClosed = false;
  readerClosed = false;
  terminatedSent = false;
  /** Messages written/read in total, for statistics and tests. */
  written = 0;

  recompute(): void {
    const w = this.writerHwm;
    const r = this.readerHwm;
    if (w === 0 || r === 0 || (w === undefined && r === undefined)) this.hwm = 0;
    else this.hwm = (w ?? 0) + (r ?? 0);
    this.lwm = this.hwm > 0 ? Math.floor((this.hwm + 1) / 2) : 0;
  }

  full(): boolean {
    return !this.conflate && this.hwm > 0 && this.q.length >= this.hwm;
  }
}

let nextPipeId = 1;

export class PipeEnd {
  sink: PipeSink | undefined;
  peer: PeerInfo;
  /** False until the peer's identity and type are known (after a handshake). */
  ready: boolean;
  /** Owned by the pattern: the routing id it files this pipe under. */
  routingId: Buffer | undefined;
  /** Owned by the pattern: scratch mark for de-duplicating matches. */
  mark = 0;
  /** Owned by the pattern: this pipe's index in its inbound (FairQueue) and
   * outbound (LoadBalancer, XPUB/XSUB list) arrays, -1 if in none, so moving
   * or removing it is O(1) (libzmq array_item_t). */
  inIndex = -1;
  outIndex = -1;
  readonly id = nextPipeId++;
  /** Set by whoever created the pipe; called once when this end is closed. */
  onClose: (() => void) | undefined;
  /** Set by the socket that owns this end: closing it ourselves (disconnect,
   * a pattern refusing it) also reports `terminated` to the sink, since the
   * pattern must forget the pipe either way (libzmq xpipe_terminated). */
  reportOwnClose = false;
  private closedSelf = false;
  other!: PipeEnd;

  constructor(
    readonly out: Direction,
    readonly inn: Direction,
    peer: PeerInfo,
    ready: boolean,
  ) {
    this.peer = peer;
    this.ready = ready;
  }

  get closed(): boolean {
    return this.closedSelf;
  }

  /** Queue a whole message. false = at the HWM: nothing was queued and
   * writeActivated will follow once there is room. Ownership of msg passes to
   * the reader. */
  write(msg: Msg): boolean {
    const d = this.out;
    if (this.closedSelf || d.readerClosed) return false;
    if (d.conflate) {
      // conflate keeps only the newest message (libzmq dbuffer)
      d.q.clear();
    } else if (d.hwm > 0 && d.q.length >= d.hwm) {
      d.writerBlocked = true;
      d.wakeAt = -1;
      return false;
    }
    d.q.push(msg);
    d.written++;
    if (d.readerAsleep) {
      d.readerAsleep = false;
      const o = this.other;
      o.sink?.readActivated(o);
    }
    return true;
  }

  /** The writer stops before the HWM of its own accord: writeActivated follows
   * once the reader has taken the queue down to `n` messages. */
  pauseWriting(n: number): void {
    const d = this.out;
    d.writerBlocked = true;
    d.wakeAt = n;
  }

  /** Whether write() would accept a message now; if not, writeActivated follows. */
  checkWrite(): boolean {
    const d = this.out;
    if (this.closedSelf || d.readerClosed) return false;
    if (d.full()) {
      d.writerBlocked = true;
      return false;
    }
    return true;
  }

  /** Next whole message, or undefined (then readActivated follows a write). */
  read(): Msg | undefined {
    const d = this.inn;
    const msg = d.q.shift();
    if (msg === undefined) {
      d.readerAsleep = true;
      if (d.writerClosed) this.scheduleTerminated();
      return undefined;
    }
    if (d.writerBlocked && d.q.length <= (d.wakeAt >= 0 ? d.wakeAt : d.hwm - d.lwm)) {
      d.writerBlocked = false;
      d.wakeAt = -1;
      const o = this.other;
      if (!o.closedSelf) o.sink?.writeActivated(o);
    }
    if (d.writerClosed && d.q.length === 0) this.scheduleTerminated();
    return msg;
  }

  /** Whether read() would return a message; if not, readActivated follows. */
  checkRead(): boolean {
    const d = this.inn;
    if (d.q.length > 0) return true;
    d.readerAsleep = true;
    if (d.writerClosed) this.scheduleTerminated();
    return false;
  }

  /** Messages waiting to be read at this end. */
  get inboundLength(): number {
    return this.inn.q.length;
  }

  /** Messages written by this end that the peer has not read yet. */
  get outboundLength(): number {
    return this.out.q.length;
  }

  /** This end's HWM contributions: its SNDHWM (outbound) and RCVHWM (inbound). */
  setHwms(sndhwm: number | undefined, rcvhwm: number | undefined): void {
    this.out.writerHwm = sndhwm;
    this.out.recompute();
    this.inn.readerHwm = rcvhwm;
    this.inn.recompute();
    // a larger HWM may unblock a waiting writer
    const d = this.out;
    if (d.writerBlocked && !d.full()) {
      d.writerBlocked = false;
      queueMicrotask(() => {
        if (!this.closedSelf) this.sink?.writeActivated(this);
      });
    }
    const i = this.inn;
    if (i.writerBlocked && !i.full()) {
      i.writerBlocked = false;
      const o = this.other;
      queueMicrotask(() => {
        if (!o.closedSelf) o.sink?.writeActivated(o);
      });
    }
  }

  setConflate(outbound: boolean, inbound: boolean): void {
    this.out.conflate = outbound;
    this.inn.conflate = inbound;
  }

  /** The peer reconnected: state it held about us (subscriptions) is gone. */
  hiccup(): void {
    this.sink?.hiccuped?.(this);
  }

  /** The peer's identity is known (or changed, after a reconnect). */
  announce(peer: PeerInfo): void {
    this.peer = peer;
    this.ready = true;
    this.sink?.peerReady?.(this);
  }

  /** Drop every message this end has written that the peer has not read. */
  discardOutbound(): void {
    this.out.q.clear();
    if (this.out.writerBlocked) {
      this.out.writerBlocked = false;
      queueMicrotask(() => {
        if (!this.closedSelf) this.sink?.writeActivated(this);
      });
    }
  }

  /** Close this end. Idempotent. Messages already written stay readable by the
   * peer, which sees `terminated` once it has read them all; messages queued
   * towards this end are dropped. */
  close(): void {
    if (this.closedSelf) return;
    this.closedSelf = true;
    this.out.writerClosed = true;
    this.inn.readerClosed = true;
    this.inn.q.clear();
    const o = this.other;
    if (this.out.q.length === 0) o.scheduleTerminated();
    else if (this.out.readerAsleep) {
      // let the peer drain what is left
      this.out.readerAsleep = false;
      queueMicrotask(() => {
        if (!o.closedSelf) o.sink?.readActivated(o);
      });
    }
    this.detach();
  }

  /** The end of close() every kind of end shares: forget the owner, run
   * onClose, and report `terminated` if the owner asked for it. */
  protected detach(): void {
    const sink = this.sink;
    this.sink = undefined;
    const cb = this.onClose;
    this.onClose = undefined;
    cb?.();
    if (this.reportOwnClose) sink?.terminated(this);
  }

  /** True once the peer closed (its remaining messages may still be readable). */
  get peerClosed(): boolean {
    return this.inn.writerClosed;
  }

  private scheduleTerminated(): void {
    const d = this.inn;
    if (d.terminatedSent || this.closedSelf) return;
    d.terminatedSent = true;
    queueMicrotask(() => {
      if (!this.closedSelf) {
        const s = this.sink;
        this.reportOwnClose = false;
        this.close();
        s?.terminated(this);
      }
    });
  }
}

export interface PipeOptions {
  /** HWM contributions of end A: its SNDHWM and RCVHWM (undefined: none). */
  aSndHwm?: number;
  aRcvHwm?: number;
  bSndHwm?: number;
  bRcvHwm?: number;
}

/** Create a pipe. `peerOfA` describes B as seen from A and vice versa. */
export function pipePair(
  peerOfA: PeerInfo,
  peerOfB: PeerInfo,
  readyA: boolean,
  readyB: boolean,
  o: PipeOptions = {},
): [PipeEnd, PipeEnd] {
  const ab = new Direction();
  const ba = new Direction();
  const a = new PipeEnd(ab, ba, peerOfA, readyA);
  const b = new PipeEnd(ba, ab, peerOfB, readyB);
  a.other = b;
  b.other = a;
  ab.writerHwm = o.aSndHwm;
  ab.readerHwm = o.bRcvHwm;
  ba.writerHwm = o.bSndHwm;
  ba.readerHwm = o.aRcvHwm;
  ab.recompute();
  ba.recompute();
  return [a, b];
}
