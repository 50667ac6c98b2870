// PUSH (RFC 30): round-robin to peers that have room; waits when all are full.
import { zmqError } from "../lib/core/errors.js";
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { LoadBalancer } from "./load-balancer.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { discardInbound } from "./util.js";

export class PushPattern implements Pattern, PipeSink {
  private lb = new LoadBalancer();
  constructor(private host: PatternHost) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    this.lb.attach(p);
    discardInbound(p);
    this.host.writable();
  }
  readActivated(p: PipeEnd): void {
    discardInbound(p);
  }
  writeActivated(p: PipeEnd): void {
    this.lb.activated(p);
    this.host.writable();
  }
  terminated(p: PipeEnd): void {
    this.lb.detach(p);
  }
  send(msg: Msg): SendResult {
    return this.lb.send(msg) !== undefined ? "sent" : "blocked";
  }
  receive(): Msg | undefined {
    throw zmqError("ENOTSUP");
  }
  checkReceive(): void {
    throw zmqError("ENOTSUP");
  }
  hasIn(): boolean {
    return false;
  }
  hasOut(): boolean {
    return this.lb.hasOut();
  }
}
