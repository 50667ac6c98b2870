// DEALER (RFC 28): round-robin out, fair-queue in, no envelope handling.
import { EMPTY_FRAME, type Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { FairQueue } from "./fair-queue.js";
import { LoadBalancer } from "./load-balancer.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";

export class DealerPattern implements Pattern, PipeSink {
  protected lb = new LoadBalancer();
  protected fq = new FairQueue();
  constructor(protected host: PatternHost) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    // ZMQ_PROBE_ROUTER: announce ourselves with an empty message
    if (this.host.options.probeRouter) p.write([EMPTY_FRAME]);
    this.lb.attach(p);
    this.fq.attach(p);
    this.host.writable();
    this.host.readable();
  }
  readActivated(p: PipeEnd): void {
    this.fq.activated(p);
    this.host.readable();
  }
  writeActivated(p: PipeEnd): void {
    this.lb.activated(p);
    this.host.writable();
  }
  terminated(p: PipeEnd): void {
    this.lb.detach(p);
    this.fq.detach(p);
  }
  send(msg: Msg): SendResult {
    return this.lb.send(msg) !== undefined ? "sent" : "blocked";
  }
  receive(): Msg | undefined {
    return this.fq.receive();
  }
  hasIn(): boolean {
    return this.fq.hasIn();
  }
  hasOut(): boolean {
    return this.lb.hasOut();
  }
}
