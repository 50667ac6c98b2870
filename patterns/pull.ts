// PULL (RFC 30): fair-queues whole messages from its peers.
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { FairQueue } from "./fair-queue.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { enotsup } from "./util.js";

export class PullPattern implements Pattern, PipeSink {
  private fq = new FairQueue();
  constructor(private host: PatternHost) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    this.fq.attach(p);
    this.host.readable();
  }
  readActivated(p: PipeEnd): void {
    this.fq.activated(p);
    this.host.readable();
  }
  writeActivated(): void {}
  terminated(p: PipeEnd): void {
    this.fq.detach(p);
  }
  send(): SendResult {
    return enotsup();
  }
  checkSend(): void {
    enotsup();
  }
  receive(): Msg | undefined {
    return this.fq.receive();
  }
  hasIn(): boolean {
    return this.fq.hasIn();
  }
  hasOut(): boolean {
    return false;
  }
}
