// One end of an inproc pipe whose other end lives in another thread. It keeps
// the PipeEnd contract the patterns use (write/read, readActivated and
// writeActivated by libzmq's rules, terminated once the peer's messages are
// read), over the pipe memory of ring.ts:
// - write() copies the message into the ring at once when it has room, else
//   queues it here until the reader frees some; the HWM is counted in
//   messages, the writer's SNDHWM plus the reader's RCVHWM, as messages
//   written minus messages the reading socket has taken (published lazily);
// - read() takes whole messages that one copy out of the ring produced;
// - an end that runs out of work sleeps (sleeper.ts): rung by the other
//   thread only if it sleeps (libzmq ypipe), or looked after by the turns of
//   a busy-polling loop, so an idle pipe costs no CPU;
// - the pipe's MessagePort closes when the peer closes its end or its thread
//   ends in any way (terminate, exit, a throw): then what the peer wrote whole
//   is still read, a partial message is dropped, and the end terminates.
import type { MessagePort } from "node:worker_threads";
import { holdAlive, releaseAlive } from "../../lib/api/keepalive.js";
import { zmqError } from "../../lib/core/errors.js";
import type { Msg } from "../../lib/core/message.js";
import { Direction, PipeEnd, type PeerInfo } from "../../lib/core/pipe.js";
import { RingQueue } from "../../lib/core/ring-queue.js";
import { Sleeper } from "./sleeper.js";
import {
  FrameReader, FrameWriter, MAX_FRAME, PipeMemory, R_HWM, R_SEQ, W_HWM, WANT_CREDIT, WANT_DATA, WANT_SPACE,
} from "./ring.js";

/** This thread's pipe ends whose MessagePort is still open (diagnostics). */
let openEnds = 0;

/** Cross-thread pipe ends of this thread still open: each holds a share of
 * its pipe's SharedArrayBuffer (256 KiB of rings per pipe). */
export function threadPipeCount(): number {
  return openEnds;
}

export class ThreadPipeEnd extends PipeEnd {
  private readonly mem: PipeMemory;
  private readonly outbox = new RingQueue<Msg>();
  private readonly inbox = new RingQueue<Msg>();
  private readonly writer: FrameWriter;
  private readonly reader: FrameReader;
  private readonly sleeper: Sleeper;
  /** messages write() accepted / this end's socket has read */
  private written = 0;
  private taken = 0;
  /** write() may go on without looking at the peer's counter up to here */
  private creditLimit = 0;
  private closedMe = false;
  /** the port closed: the peer end is closed or its thread is gone */
  private peerGone = false;
  private asleep = false;
  private blocked = false;
  private publishQueued = false;
  private terminatedSent = false;
  private conflateOut = false;
  private conflateIn = false;
  private lingering = false;
  /** holding the thread alive: messages send() accepted are not all in the ring yet */
  private holding = false;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    sab: SharedArrayBuffer,
    end: 0 | 1,
    private readonly port: MessagePort,
    peer: PeerInfo,
    ready: boolean,
    /** the owning socket's linger (ms, -1 forever) for messages still unwritten at close */
    private readonly linger: () => number,
  ) {
    super(new Direction(), new Direction(), peer, ready);
    this.mem = new PipeMemory(sab, end);
    this.writer = new FrameWriter(this.mem, this.outbox);
    this.reader = new FrameReader(this.mem);
    this.sleeper = new Sleeper(this.mem, (w) => this.wantsMet(w), () => this.service(), () => this.peerGone);
    // a port reports 'close' only once started (a 'message' listener starts it)
    port.on("message", () => {});
    openEnds++;
    port.once("close", () => openEnds--);
    port.on("close", () => this.onPeerGone());
    port.unref();
  }

  override get closed(): boolean {
    return this.closedMe;
  }

  override get peerClosed(): boolean {
    return this.peerGone;
  }

  override get inboundLength(): number {
    return this.inbox.length;
  }

  override get outboundLength(): number {
    return (this.written - Atomics.load(this.mem.i32, this.mem.out + R_SEQ)) | 0;
  }

  override write(msg: Msg): boolean {
    if (this.closedMe || this.peerGone) return false;
    // the ring's frame header holds 31 bits of length: refuse, before queueing, what it cannot carry
    for (let i = 0; i < msg.length; i++) if (msg[i]!.length > MAX_FRAME) throw zmqError("EMSGSIZE", `a frame crossing threads is limited to ${MAX_FRAME} bytes`);
    if (this.conflateOut) {
      // keep only the newest message not yet started in the ring
      const keep = this.writer.midMessage ? 1 : 0;
      while (this.outbox.length > keep) this.outbox.pop();
    } else if (this.written >= this.creditLimit && !this.refreshCredit()) {
      this.blockWriter(this.hwm() - lwmOf(this.hwm()));
      return false;
    }
    this.outbox.push(msg);
    this.written++;
    // into the ring at once if it has room; behind others, the ring is full
    // and its room's wake flushes (until then the Buffers are referenced, as
    // everywhere in omq: a copy here halved the 4 KiB and 64 KiB rows)
    if (this.outbox.length === 1) this.flushNow();
    return true;
  }

  override pauseWriting(n: number): void {
    this.blockWriter(n);
  }

  override checkWrite(): boolean {
    if (this.closedMe || this.peerGone) return false;
    if (this.conflateOut || this.written < this.creditLimit || this.refreshCredit()) return true;
    this.blockWriter(this.hwm() - lwmOf(this.hwm()));
    return false;
  }

  override read(): Msg | undefined {
    let msg = this.inbox.shift();
    if (msg === undefined) {
      this.pull();
      msg = this.inbox.shift();
      if (msg === undefined) {
        this.sleepReader();
        return undefined;
      }
    }
    // the count the writer's credit follows: published every PUBLISH_EVERY
    // reads, when the inbox runs dry, and at the end of the tick
    this.taken = (this.taken + 1) | 0;
    if (this.inbox.length === 0 || (this.taken & (PUBLISH_EVERY - 1)) === 0) this.publishTaken();
    else if (!this.publishQueued) {
      this.publishQueued = true;
      process.nextTick(this.publishTick);
    }
    if (this.peerGone && this.inbox.length === 0) this.terminateSoon();
    return msg;
  }

  override checkRead(): boolean {
    if (this.inbox.length > 0) return true;
    this.pull();
    if (this.inbox.length > 0) return true;
    this.sleepReader();
    return false;
  }

  override setHwms(sndhwm: number | undefined, rcvhwm: number | undefined): void {
    const i32 = this.mem.i32;
    Atomics.store(i32, this.mem.out + W_HWM, sndhwm ?? -1);
    Atomics.store(i32, this.mem.inn + R_HWM, rcvhwm ?? -1);
    this.creditLimit = 0;
    if (this.blocked && this.refreshCredit()) queueMicrotask(() => this.service());
  }

  override setConflate(outbound: boolean, inbound: boolean): void {
    this.conflateOut = outbound;
    this.conflateIn = inbound;
  }

  override discardOutbound(): void {
    const keep = this.writer.midMessage ? 1 : 0;
    while (this.outbox.length > keep) this.outbox.pop();
  }

  override close(): void {
    if (this.closedMe) return;
    this.closedMe = true;
    this.inbox.clear();
    this.flushNow();
    if (this.outbox.length === 0 || this.peerGone || this.linger() === 0) this.finish();
    else {
      // what the socket sent is delivered as in-thread inproc does, for up to linger ms
      this.lingering = true;
      const ms = this.linger();
      if (ms > 0) {
        this.lingerTimer = setTimeout(() => this.finish(), ms);
        this.lingerTimer.unref();
      }
      this.sleeper.arm(WANT_SPACE);
    }
    this.detach();
  }

  // --- internals ---------------------------------------------------------------

  private hwm(): number {
    const i32 = this.mem.i32;
    const w = Atomics.load(i32, this.mem.out + W_HWM);
    const r = Atomics.load(i32, this.mem.out + R_HWM);
    if (w === 0 || r === 0 || (w < 0 && r < 0)) return 0;
    return Math.max(w, 0) + Math.max(r, 0);
  }

  /** Re-read the peer's progress; true if a message may be written now. */
  private refreshCredit(): boolean {
    const hwm = this.hwm();
    if (hwm === 0) {
      // unlimited for now; look again after a while in case HWMs change
      this.creditLimit = this.written + 1024;
      return true;
    }
    this.creditLimit = (Atomics.load(this.mem.i32, this.mem.out + R_SEQ) + hwm) | 0;
    return this.written < this.creditLimit;
  }

  /** writeActivated follows once at most `n` written messages are unread. */
  private blockWriter(n: number): void {
    this.blocked = true;
    Atomics.store(this.mem.i32, this.mem.myTarget, (this.written - n) | 0);
    this.sleeper.arm(WANT_CREDIT);
  }

  private creditReached(): boolean {
    const i32 = this.mem.i32;
    return ((Atomics.load(i32, this.mem.out + R_SEQ) - Atomics.load(i32, this.mem.myTarget)) | 0) >= 0;
  }

  private took(n: number): void {
    this.taken = (this.taken + n) | 0;
    this.publishTaken();
  }

  private publishTaken(): void {
    const i32 = this.mem.i32;
    const at = this.mem.inn + R_SEQ;
    if (Atomics.load(i32, at) === this.taken) return;
    Atomics.store(i32, at, this.taken);
    this.mem.ringCredit(this.taken);
  }

  private readonly publishTick = (): void => {
    this.publishQueued = false;
    this.publishTaken();
  };


  private pull(): void {
    if (!this.reader.pull(this.inbox)) return;
    this.mem.ring(WANT_SPACE);
    if (this.conflateIn && this.inbox.length > 1) {
      const last = this.inbox.pop()!;
      this.took(this.inbox.length);
      this.inbox.clear();
      this.inbox.push(last);
    }
  }

  private sleepReader(): void {
    this.asleep = true;
    if (this.peerGone) this.terminateSoon();
    else this.sleeper.arm(WANT_DATA);
  }

  private flushNow(): void {
    if (this.peerGone) return;
    if (this.writer.flush()) this.mem.ring(WANT_DATA);
    this.hold(this.outbox.length > 0);
    if (this.outbox.length > 0) this.sleeper.arm(WANT_SPACE);
  }

  /** A thread must not end while what its sockets sent is only in its own
   * memory (the ring is shared; this outbox is not): hold it alive meanwhile. */
  private hold(on: boolean): void {
    if (on === this.holding) return;
    this.holding = on;
    if (on) holdAlive();
    else releaseAlive();
  }

  /** Which of the WANT_* bits in `w` are met now. */
  private wantsMet(w: number): number {
    let met = 0;
    if ((w & WANT_DATA) !== 0 && this.reader.hasBytes()) met |= WANT_DATA;
    if ((w & WANT_SPACE) !== 0 && this.writer.hasRoom()) met |= WANT_SPACE;
    if ((w & WANT_CREDIT) !== 0 && this.creditReached()) met |= WANT_CREDIT;
    return met;
  }

  /** Woken (or asked to look again): do whatever became possible. */
  private service(): void {
    if (this.peerGone) return;
    if (this.outbox.length > 0) {
      if (this.writer.flush()) this.mem.ring(WANT_DATA);
      this.hold(this.outbox.length > 0);
      if (this.outbox.length > 0) this.sleeper.arm(WANT_SPACE);
      else if (this.lingering) this.finish();
    }
    if (this.closedMe) return;
    if (this.asleep) {
      this.pull();
      if (this.inbox.length > 0) {
        this.asleep = false;
        this.sink?.readActivated(this);
      } else this.sleeper.arm(WANT_DATA);
    }
    if (this.blocked && !this.closedMe) {
      if (this.creditReached() || this.hwm() === 0) {
        this.blocked = false;
        this.creditLimit = 0;
        this.sink?.writeActivated(this);
      } else this.sleeper.arm(WANT_CREDIT);
    }
  }

  /** Our end is done with the pipe: let the peer know by closing the port. */
  private finish(): void {
    this.lingering = false;
    this.sleeper.stop();
    this.hold(false);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.writer.drop();
    this.port.close();
  }

  private onPeerGone(): void {
    if (this.peerGone) return;
    // read what the peer published whole before its port closed
    if (!this.closedMe) this.pull();
    this.peerGone = true;
    this.sleeper.stop();
    this.reader.dropPartial();
    if (this.lingering) this.finish();
    this.writer.drop();
    this.hold(false);
    if (this.closedMe) return;
    if (this.inbox.length === 0) this.terminateSoon();
    else if (this.asleep) {
      this.asleep = false;
      this.sink?.readActivated(this);
    }
  }

  private terminateSoon(): void {
    if (this.terminatedSent || this.closedMe) return;
    this.terminatedSent = true;
    queueMicrotask(() => {
      if (this.closedMe) return;
      const s = this.sink;
      this.reportOwnClose = false;
      this.close();
      s?.terminated(this);
    });
  }
}


/** Reads between publications of the read count (a power of two). */
const PUBLISH_EVERY = 32;

/** libzmq's low-water mark for a HWM (pipe.ts uses the same rule). */
function lwmOf(hwm: number): number {
  return hwm > 0 ? Math.floor((hwm + 1) / 2) : 0;
}
