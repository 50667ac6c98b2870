// What every byte-stream frame decoder shares: chunks kept (zero-copy) while
// decoding is suspended for back-pressure or re-entered from a sink, resume,
// and the rule that after an error every later call fails. Subclasses hold
// the framing's state machine (decode) and drop a partial frame on error.
import { ZmqError } from "../core/errors.js";
import { ERR_ZMTP_UNSPECIFIED, ZmtpError } from "./constants.js";
import type { FrameDecoder, FrameSink } from "./framing.js";

export abstract class ChunkDecoder implements FrameDecoder {
  sink: FrameSink;
  /** Chunks (or a chunk's remainder) waiting while suspended or while a sink re-enters push(). */
  protected backlog: Buffer[] = [];
  protected backlogSize = 0;
  protected isSuspended = false;
  protected running = false;
  private dead = false;

  constructor(sink: FrameSink) {
    this.sink = sink;
  }

  /** Bytes received but not decoded yet (held while suspended). */
  get pendingBytes(): number {
    return this.backlogSize;
  }

  get suspended(): boolean {
    return this.isSuspended;
  }

  /** True after an error: the decoder refuses all further input. */
  get failed(): boolean {
    return this.dead;
  }

  /**
   * Decode a chunk. Throws ZmqError (EPROTO, or EMSGSIZE for limits) on bad input, and from
   * then on throws on every call. An exception thrown by a sink also ends the decoder (and
   * is rethrown; a non-ZmqError is wrapped in EPROTO with it as `cause`).
   */
  push(chunk: Buffer): void {
    this.checkAlive();
    if (this.isSuspended || this.running) {
      if (chunk.length > 0) {
        this.backlog.push(chunk);
        this.backlogSize += chunk.length;
      }
      return;
    }
    this.run(chunk);
  }

  /** Continue after a suspension; may suspend again. Safe to call when not suspended. */
  resume(): void {
    if (!this.isSuspended || this.dead) return;
    this.isSuspended = false;
    if (!this.running) this.run(null);
  }

  abstract readTarget(min: number): Buffer | undefined;
  abstract wrote(n: number): void;

  /** One chunk through the state machine; when a sink suspends decoding,
   * hand the rest to keep() and return. */
  protected abstract decode(chunk: Buffer): void;
  /** Forget a partial frame (the decoder failed). */
  protected abstract dropPartial(): void;
  /** Bytes read straight into the frame being assembled (direct reads). */
  protected advance(_n: number): void {}

  protected checkAlive(): void {
    if (this.dead) throw new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, "ZMTP decoder is closed after an error");
  }

  /** The part of `chunk` from `pos` waits for resume(). */
  protected keep(chunk: Buffer, pos: number): void {
    if (pos < chunk.length) {
      this.backlog.unshift(chunk.subarray(pos));
      this.backlogSize += chunk.length - pos;
    }
  }

  protected run(first: Buffer | null, direct = 0): void {
    this.running = true;
    try {
      if (direct > 0) this.advance(direct);
      if (first !== null) this.decode(first);
      while (!this.isSuspended && this.backlog.length > 0) {
        const next = this.backlog.shift()!;
        this.backlogSize -= next.length;
        this.decode(next);
      }
    } catch (err) {
      this.dead = true;
      this.dropPartial();
      this.backlog = [];
      this.backlogSize = 0;
      if (err instanceof ZmqError) throw err;
      throw new ZmqError("EPROTO", `ZMTP decoding failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    } finally {
      this.running = false;
    }
  }
}
