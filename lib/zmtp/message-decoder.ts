// ZMTP bytes straight to messages and commands: the frame decoder feeding an
// assembler, for streams with no mechanism in between (pgm's datagram stream).
import { type AssemblyLimits, MessageAssembler, type MessageSink } from "./assembler.js";
import { ZmtpDecoder } from "./decoder.js";

export class MessageDecoder {
  readonly frames: ZmtpDecoder;
  readonly assembler: MessageAssembler;

  constructor(sink: MessageSink, limits: AssemblyLimits) {
    this.assembler = new MessageAssembler(sink, limits);
    this.frames = new ZmtpDecoder(this.assembler);
  }

  push(chunk: Buffer): void {
    this.frames.push(chunk);
  }
  resume(): void {
    this.frames.resume();
  }
  get suspended(): boolean {
    return this.frames.suspended;
  }
  get pendingBytes(): number {
    return this.frames.pendingBytes;
  }
  get failed(): boolean {
    return this.frames.failed;
  }
  get inMessage(): boolean {
    return this.assembler.inMessage;
  }
  readTarget(min: number): Buffer | undefined {
    return this.frames.readTarget(min);
  }
  wrote(n: number): void {
    this.frames.wrote(n);
  }
}
