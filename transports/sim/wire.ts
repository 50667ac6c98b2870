// One end of a simulated connection: what a net.Socket is to the engine
// (EngineStream: write, pause/resume, end, destroy, 'data'/'drain'/'end'/
// 'close') and to the connecter ('connect', 'error'). Packets go through the
// network (latency, partitions) and are taken in sequence order, so a
// connection never reorders, duplicates or corrupts; only a fault ends it.
import { EventEmitter } from "node:events";
import type { BreakReason, SimHost, SimNetwork } from "./network.js";

/** Bytes written but not yet read by the peer, past which write() says wait
 * (what the kernel's buffers take before Node starts to queue). */
const WINDOW = 256 * 1024;

type Packet =
  | { kind: "synack" }
  | { kind: "data"; bytes: Buffer }
  | { kind: "fin" }
  | { kind: "rst"; reason: BreakReason };

/** What both ends of one connection share. */
interface Pair {
  /** Bytes sent both ways so far. */
  bytes: number;
  /** Break the connection once `bytes` reaches this (a cut fault). */
  cutAt: number | undefined;
  /** Cut: the other end takes only the cutting end's packets below
   * `allowBelow` (sent before the cut point), then its reset. */
  broken: boolean;
  allowBelow: number;
  /** Flip the bits of the byte at this offset (a corruption fault, opt-in). */
  corruptAt: number | undefined;
}

function sysError(code: string, text: string): Error {
  return Object.assign(new Error(`${text} (sim)`), { code });
}

export class SimWire extends EventEmitter {
  peer: SimWire | undefined;
  private pair: Pair;
  private sendSeq = 0;
  /** The next sequence number to take (read by a cut on the other end). */
  expect = 0;
  private readonly early = new Map<number, Packet>();
  private paused = false;
  private readonly inbox: Buffer[] = [];
  private finReceived = false;
  private endEmitted = false;
  private flushing = false;
  /** Bytes we sent that the peer has not read yet. */
  private unacked = 0;
  private needDrain = false;
  /** Closed here: nothing more is emitted or taken. */
  dead = false;
  writableEnded = false;
  readonly remoteAddress: string;

  constructor(
    private readonly net: SimNetwork,
    readonly host: SimHost,
    /** The node at the other end. */
    readonly remote: string,
    readonly connection: number,
    readonly dialer: boolean,
  ) {
    super();
    this.remoteAddress = remote;
    this.pair = { bytes: 0, cutAt: undefined, broken: false, allowBelow: 0, corruptAt: undefined };
    host.wires.add(this);
    // errors are reported through 'close' as well; an end nobody listens to must not throw
    this.on("error", () => {});
  }

  get writableLength(): number {
    return this.unacked;
  }

  /** Break this connection after `n` more bytes either way: the bytes up to
   * the cut arrive, what is in flight the other way is lost. 0: now, and
   * nothing in flight arrives. */
  cutAfter(n: number): void {
    if (n <= 0) this.cut(false);
    else this.pair.cutAt = this.pair.bytes + n;
  }

  /** Corrupt the byte `n` bytes from now (either way): not what TCP does,
   * only for tests that ask (the engine must end just this connection). */
  corruptAfter(n: number): void {
    this.pair.corruptAt = this.pair.bytes + Math.max(0, n);
  }

  // --- the stream as the engine uses it

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.dead || this.writableEnded || this.peer === undefined) {
      if (cb) process.nextTick(cb, sysError("EPIPE", "write after end"));
      return false;
    }
    let n = chunk.length;
    const p = this.pair;
    let cutNow = false;
    if (p.cutAt !== undefined && p.bytes + n >= p.cutAt) {
      n = Math.max(0, p.cutAt - p.bytes);
      cutNow = true;
    }
    p.bytes += n;
    if (n > 0) {
      // the engine reuses its slab once the callback runs: the packet owns a copy
      const bytes = Buffer.allocUnsafe(n);
      chunk.copy(bytes, 0, 0, n);
      const c = p.corruptAt;
      if (c !== undefined && c >= p.bytes - n && c < p.bytes) {
        bytes[c - (p.bytes - n)]! ^= 0xff;
        p.corruptAt = undefined;
      }
      this.unacked += n;
      this.sendPacket({ kind: "data", bytes });
    }
    if (cb) process.nextTick(cb, null);
    if (cutNow) {
      this.cut(true);
      return false;
    }
    if (this.unacked >= WINDOW) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  cork(): void {}
  uncork(): void {}

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    if (this.inbox.length > 0 || this.finReceived) this.scheduleFlush();
    return this;
  }

  end(): this {
    if (this.writableEnded || this.dead) return this;
    this.writableEnded = true;
    if (this.peer !== undefined) this.sendPacket({ kind: "fin" });
    process.nextTick(() => {
      if (!this.dead) this.emit("finish");
    });
    return this;
  }

  destroy(err?: Error): this {
    if (this.dead) return this;
    this.close("closed", err, true);
    return this;
  }

  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }

  // --- the network's side

  sendPacket(p: Packet): void {
    const seq = this.sendSeq++;
    const to = this.peer;
    const bytes = p.kind === "data" ? p.bytes.length : 0;
    this.net.send(this.host.name, this.remote, bytes, to?.host ?? this.host, () => to?.arrive(seq, p));
  }

  /** A packet of this connection reaches this end. */
  arrive(seq: number, p: Packet): void {
    if (this.dead) return;
    if (seq !== this.expect) {
      this.early.set(seq, p);
      return;
    }
    this.takeAt(seq, p);
    this.expect++;
    let next: Packet | undefined;
    while (!this.dead && (next = this.early.get(this.expect)) !== undefined) {
      this.early.delete(this.expect);
      this.takeAt(this.expect, next);
      this.expect++;
    }
  }

  /** After a cut only what was sent before the cut point counts (the rest is
   * lost, but keeps its place in the sequence so the reset behind it comes). */
  private takeAt(seq: number, p: Packet): void {
    if (this.pair.broken && p.kind !== "rst" && seq >= this.pair.allowBelow) return;
    this.take(p);
  }

  private take(p: Packet): void {
    switch (p.kind) {
      case "synack":
        this.emit("connect");
        return;
      case "data":
        if (this.paused || this.inbox.length > 0 || this.flushing) this.inbox.push(p.bytes);
        else this.deliver(p.bytes);
        return;
      case "fin":
        this.finReceived = true;
        if (!this.paused && this.inbox.length === 0) this.emitEnd();
        return;
      case "rst":
        this.close(p.reason, sysError("ECONNRESET", "connection reset by peer"), false);
        return;
    }
  }

  /** The dialed address had no listener. */
  refused(): void {
    if (this.dead) return;
    this.dead = true;
    this.host.wires.delete(this);
    this.emit("error", sysError("ECONNREFUSED", "connection refused"));
    this.emit("close");
  }

  /** The node was killed: this end vanishes without a word; the peer gets a reset. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.host.wires.delete(this);
    if (this.peer !== undefined && !this.pair.broken) {
      this.net.broke(this, "killed");
      this.sendPacket({ kind: "rst", reason: "killed" });
    }
  }

  /** `atByte`: the cut point is what this end just wrote (it arrives);
   * otherwise nothing still in flight arrives. */
  private cut(atByte: boolean): void {
    const p = this.pair;
    if (p.broken) return;
    p.broken = true;
    p.allowBelow = atByte ? this.sendSeq : (this.peer?.expect ?? 0);
    this.net.broke(this, "cut");
    // the other end gets the reset after what arrives of ours
    if (this.peer !== undefined) this.sendPacket({ kind: "rst", reason: "cut" });
    this.close("cut", sysError("ECONNRESET", "connection reset (cut)"), false);
  }

  private close(reason: BreakReason, err: Error | undefined, local: boolean): void {
    if (this.dead) return;
    this.dead = true;
    this.host.wires.delete(this);
    if (local && this.peer !== undefined && !this.pair.broken) {
      this.net.broke(this, reason);
      this.sendPacket({ kind: "rst", reason });
    }
    process.nextTick(() => {
      if (err !== undefined) this.emit("error", err);
      this.emit("close");
    });
  }

  private deliver(b: Buffer): void {
    const from = this.peer;
    if (from !== undefined) from.acked(b.length);
    this.emit("data", b);
  }

  /** The peer shares our Pair (the dialer's), once connected. */
  adoptPair(other: SimWire): void {
    this.pair = other.pair;
  }

  /** The peer read `n` of our bytes. */
  private acked(n: number): void {
    this.unacked -= n;
    if (this.needDrain && this.unacked < WINDOW / 2 && !this.dead) {
      this.needDrain = false;
      process.nextTick(() => {
        if (!this.dead) this.emit("drain");
      });
    }
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => {
      this.flushing = false;
      let b: Buffer | undefined;
      while (!this.paused && !this.dead && (b = this.inbox.shift()) !== undefined) this.deliver(b);
      if (!this.paused && !this.dead && this.inbox.length === 0 && this.finReceived) this.emitEnd();
    });
  }

  private emitEnd(): void {
    if (this.endEmitted) return;
    this.endEmitted = true;
    this.emit("end");
  }
}
