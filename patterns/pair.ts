// PAIR (RFC 31): exactly one peer; a second connection is refused.
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";

export class PairPattern implements Pattern, PipeSink {
  private pipe: PipeEnd | undefined;
  constructor(private host: PatternHost) {}

  attach(p: PipeEnd): void {
    if (this.pipe !== undefined) {
      p.close();
      return;
    }
    p.sink = this;
    this.pipe = p;
    this.host.writable();
    this.host.readable();
  }
  readActivated(): void {
    this.host.readable();
  }
  writeActivated(): void {
    this.host.writable();
  }
  terminated(p: PipeEnd): void {
    if (this.pipe === p) this.pipe = undefined;
  }
  send(msg: Msg): SendResult {
    return this.pipe !== undefined && this.pipe.write(msg) ? "sent" : "blocked";
  }
  receive(): Msg | undefined {
    return this.pipe?.read();
  }
  hasIn(): boolean {
    return this.pipe !== undefined && this.pipe.checkRead();
  }
  hasOut(): boolean {
    return this.pipe !== undefined && this.pipe.checkWrite();
  }
}
