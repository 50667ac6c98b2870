// ZMQ_STREAM's engine (libzmq raw_engine_t): no greeting, no handshake, no
// framing. Each read from the stream becomes a one-frame message; each
// message from the pipe is written as its bytes, frame after frame. With
// `notify`, a zero-length message tells the socket of the connection and of
// its end. It drives the same Session as the ZMTP engine, so reconnecting,
// linger and the connect-side queue work as on any other socket.
import { peerClosedError, toZmqError } from "../core/errors.js";
import type { Msg } from "../core/message.js";
import type { PipeEnd } from "../core/pipe.js";
import type { Engine, EngineOwner, EngineStream } from "../zmtp/engine.js";

const EMPTY = Buffer.alloc(0);
const NOTIFICATION: Msg = [EMPTY];

export interface RawEngineOptions {
  /** ZMQ_STREAM_NOTIFY: a zero-length message at connect and at disconnect. */
  notify: boolean;
}

type State = "opening" | "active" | "ending" | "closed";

export class RawEngine implements Engine {
  private state: State = "opening";
  private pipe: PipeEnd | undefined;
  /** Reads the pipe refused (at its HWM): the stream is paused until they fit. */
  private held: Buffer[] = [];
  private waitingDrain = false;

  constructor(
    private readonly stream: EngineStream,
    private readonly o: RawEngineOptions,
    private readonly owner: EngineOwner,
  ) {
    stream.on("data", (c: Buffer) => this.input(c));
    stream.on("drain", () => this.onDrain());
    stream.on("error", (err) => this.peerGone(err));
    stream.on("close", () => this.peerGone(undefined));
    stream.on("end", () => this.peerGone(undefined));
    // our FIN is out after everything we wrote: close the fd now, as libzmq
    // does when it terminates an engine (no waiting for the peer's FIN)
    stream.on("finish", () => {
      if (this.state === "ending") this.close(undefined, true);
    });
    // after the constructor returns: the owner has to know this engine first
    queueMicrotask(() => {
      if (this.state !== "opening") return;
      this.state = "active";
      this.owner.engineReady(this, { socketType: "STREAM", properties: new Map() });
    });
  }

  get isReady(): boolean {
    return this.state === "active";
  }

  attachPipe(pipe: PipeEnd): void {
    this.pipe = pipe;
    if (this.o.notify) this.deliver(NOTIFICATION);
    const early = this.held;
    this.held = [];
    for (const c of early) this.deliver([c]);
    this.pipeReadable();
  }

  // --- inbound

  /** Bytes read from the stream ('data', or DirectReads). */
  input(chunk: Buffer): void {
    if (this.state === "closed" || this.state === "ending" || chunk.length === 0) return;
    if (this.pipe === undefined || this.held.length > 0) this.hold(chunk);
    else this.deliver([chunk]);
  }

  /** DirectReads asks where the next read may land: always a fresh buffer. */
  readTarget(): Buffer | undefined {
    return undefined;
  }

  directRead(): void {}

  private deliver(msg: Msg): void {
    if (this.pipe!.write(msg)) return;
    // the notification is not data: libzmq loses it too when the pipe is full
    if (msg !== NOTIFICATION) this.hold(msg[0]!);
  }

  private hold(chunk: Buffer): void {
    this.held.push(chunk);
    this.stream.pause();
  }

  pipeWritable(): void {
    const p = this.pipe;
    if (p === undefined || this.state !== "active") return;
    while (this.held.length > 0) {
      if (!p.write([this.held[0]!])) return;
      this.held.shift();
    }
    this.stream.resume();
  }

  // --- outbound

  pipeReadable(): void {
    const p = this.pipe;
    if (p === undefined || this.waitingDrain || this.state !== "active") return;
    const s = this.stream;
    s.cork();
    let msg: Msg | undefined;
    let room = true;
    while (room && (msg = p.read()) !== undefined) {
      for (const f of msg) if (f.length > 0) room = s.write(f);
    }
    s.uncork();
    if (!room) this.waitingDrain = true;
  }

  private onDrain(): void {
    this.waitingDrain = false;
    if (this.state === "ending") this.stream.end();
    else this.pipeReadable();
  }

  /** The socket closed the pipe (a zero-length send, linger): what was read
   * from it goes out, then our FIN. */
  endGracefully(): void {
    if (this.state === "closed" || this.state === "ending") return;
    this.state = "ending";
    this.pipe = undefined;
    this.held = [];
    if (!this.waitingDrain) this.stream.end();
  }

  destroy(): void {
    this.close(undefined, true);
  }

  /** The peer closed or the connection failed: libzmq treats a FIN as the end
   * of the connection (no half-open raw peers). */
  private peerGone(err: unknown): void {
    // while ending, the pipe is gone: nobody is told
    this.close(err ?? peerClosedError(), this.state === "ending");
  }

  private close(err: unknown, quiet: boolean): void {
    if (this.state === "closed") return;
    const pipe = this.pipe;
    this.state = "closed";
    this.pipe = undefined;
    this.held = [];
    if (!quiet && pipe !== undefined && this.o.notify) pipe.write(NOTIFICATION);
    this.stream.destroy();
    // libzmq reports a raw peer's end as a failed handshake (a raw engine has
    // no mechanism that ever completed) and then the disconnect
    this.owner.engineClosed(this, {
      phase: "handshake",
      kind: quiet ? undefined : "other",
      error: err === undefined ? undefined : toZmqError(err),
    });
  }
}
