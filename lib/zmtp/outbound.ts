// The engine's outbound half: whole messages from the pipe, and commands,
// into one encoder batch per flush, written to the stream with cork/uncork;
// reading stops while the stream wants 'drain'. After the handshake every
// frame goes through the mechanism's transform, if it has one.
import { ioTurn } from "../core/io-turn.js";
import type { Msg } from "../core/message.js";
import type { PipeEnd } from "../core/pipe.js";
import { pongCommand } from "./commands.js";
import { CMD_CANCEL, CMD_SUBSCRIBE, FLAG_COMMAND, FLAG_MORE } from "./constants.js";
import type { EngineStream } from "./engine.js";
import type { FrameEncoder } from "./framing.js";
import type { FrameTransform } from "./mechanisms/mechanism.js";

/** Stop filling a batch past this many bytes; the rest goes in the next turn. */
const BATCH_BYTES = 256 * 1024;
/** Keep encoding while the stream holds less than this unsent: waiting for a
 * full 'drain' after every batch leaves both ends idle. Memory per connection
 * stays bounded by this plus the pipe's HWM. */
const MAX_UNSENT = 1024 * 1024;

/** What the engine lets the outbound half do now. */
export interface OutboundSource {
  /** The pipe to read messages from, or undefined. */
  readonly sendingPipe: PipeEnd | undefined;
  /** Encoded batches may be written (handshake done, or lingering). */
  readonly writing: boolean;
  /** The engine is gone: nothing more is scheduled. */
  readonly closed: boolean;
}

export class Outbound {
  /** Set when the preamble is complete (the peer's revision picks the framing). */
  encoder!: FrameEncoder;
  /** Set when the handshake ends. */
  transform: FrameTransform | undefined;
  /** 0x01/0x00 pipe messages become SUBSCRIBE/CANCEL commands (SUB/XSUB to a ZMTP 3.1+ peer). */
  subscriptionCommands = false;
  waitingDrain = false;
  private flushScheduled = false;
  /** A PONG owed while the stream wanted 'drain' (only the latest is kept). */
  private pendingPong: Buffer | undefined;

  constructor(
    private readonly stream: EngineStream,
    private readonly src: OutboundSource,
  ) {}

  /** Flush soon: in this turn (nextTick) while the kernel takes everything
   * written; once it holds some back, after a turn of the event loop, so
   * libuv can hand the kernel what is queued as it makes room: encoding on in
   * one long macrotask (a sender that never waits) would leave the peer with
   * nothing to read meanwhile (ipc: ~200 KiB socket buffers, the writer woken
   * only at 1/4 full). */
  schedule(): void {
    if (this.flushScheduled || this.src.closed) return;
    this.flushScheduled = true;
    ioTurn.pending++;
    if (this.stream.writableLength > 0) setImmediate(this.flushTask);
    else process.nextTick(this.flushTask);
  }

  private readonly flushTask = (): void => {
    ioTurn.pending--;
    this.flushScheduled = false;
    this.flush();
  };

  /** Handshake commands: never transformed, written at once. */
  handshake(cmds: ReadonlyArray<{ name: string; data: Buffer }>): void {
    for (const c of cmds) this.encoder.writeCommand(c.name, c.data);
    this.writeBatch();
  }

  /** One handshake command frame given as its body, written at once. */
  handshakeFrame(body: Buffer): void {
    this.encoder.writeFrame(FLAG_COMMAND, body);
    this.writeBatch();
  }

  /** A command after the handshake (sealed by the transform), written with the next batch. */
  command(name: string, data: Buffer): void {
    const t = this.transform;
    if (t === undefined) {
      this.encoder.writeCommand(name, data);
      return;
    }
    const body = Buffer.allocUnsafe(1 + name.length + data.length);
    body[0] = name.length;
    body.write(name, 1, "latin1");
    body.set(data, 1 + name.length);
    t.seal(FLAG_COMMAND, body, this.encoder);
  }

  /** Answer a PING: in the next flush, or once drained (a peer that PINGs
   * while not reading gets one PONG, not one each). */
  pong(context: Buffer): void {
    const pong = pongCommand(context);
    if (this.waitingDrain) {
      this.pendingPong = pong.data;
      return;
    }
    this.command(pong.name, pong.data);
    this.schedule();
  }

  /** The stream took what it held ('drain'). */
  drained(): void {
    this.waitingDrain = false;
    if (this.pendingPong !== undefined) {
      const pong = pongCommand(this.pendingPong);
      this.pendingPong = undefined;
      this.command(pong.name, pong.data);
    }
  }

  /** Move queued messages from the pipe into one batch and write it. */
  flush(): void {
    if (this.waitingDrain || !this.src.writing) return;
    const pipe = this.src.sendingPipe;
    if (pipe === undefined) {
      this.writeBatch();
      return;
    }
    const enc = this.encoder;
    const t = this.transform;
    const subscriptions = this.subscriptionCommands;
    let msg: Msg | undefined;
    let more = false;
    while ((msg = pipe.read()) !== undefined) {
      if (subscriptions && msg.length === 1) {
        const f = msg[0]!;
        if (f.length > 0 && (f[0] === 1 || f[0] === 0)) {
          this.command(f[0] === 1 ? CMD_SUBSCRIBE : CMD_CANCEL, f.subarray(1));
          continue;
        }
      }
      if (t === undefined) enc.writeMessage(msg);
      else {
        const last = msg.length - 1;
        for (let i = 0; i <= last; i++) t.seal(i < last ? FLAG_MORE : 0, msg[i]!, enc);
      }
      if (enc.length >= BATCH_BYTES) {
        more = true;
        break;
      }
    }
    this.writeBatch();
    if (more && !this.waitingDrain) this.schedule();
  }

  /** Write the encoded batch, if any. */
  writeBatch(): void {
    const enc = this.encoder;
    if (enc.length === 0 || this.src.closed) return;
    if (this.stream.writableEnded) {
      enc.take();
      return;
    }
    const chunks = enc.take();
    const batch = enc.lastBatch;
    // once written, the batch's slabs may be reused (no allocation per batch)
    const written = (err?: Error | null) => {
      if (!err) enc.released(batch);
    };
    const s = this.stream;
    let ok: boolean;
    const last = chunks.length - 1;
    if (last === 0) ok = s.write(chunks[0]!, written);
    else {
      s.cork();
      for (let i = 0; i < last; i++) s.write(chunks[i]!);
      ok = s.write(chunks[last]!, written);
      s.uncork();
    }
    if (!ok && s.writableLength >= MAX_UNSENT) this.waitingDrain = true;
  }
}
