// REQ (RFC 28): DEALER plus a strict send/receive alternation and the
// envelope: an empty delimiter (and with `correlate` a 4-byte request id)
// before the body. Only the reply from the peer last sent to is accepted.
import { EMPTY_FRAME, type Msg } from "../lib/message.js";
import type { PipeEnd } from "../lib/pipe.js";
import { DealerPattern } from "./dealer.js";
import type { SendResult } from "./pattern.js";
import { efsm } from "./util.js";

export class ReqPattern extends DealerPattern {
  private receivingReply = false;
  private replyPipe: PipeEnd | undefined;
  private requestId = (Math.random() * 0x100000000) >>> 0;
  private stash: Msg | undefined;

  override send(msg: Msg): SendResult {
    const o = this.host.options;
    if (this.receivingReply && !o.relaxed) efsm();
    const id = (this.requestId + 1) >>> 0;
    let out: Msg;
    if (o.correlate) {
      const idFrame = Buffer.allocUnsafe(4);
      idFrame.writeUInt32BE(id, 0);
      out = [idFrame, EMPTY_FRAME, ...msg];
    } else {
      out = [EMPTY_FRAME, ...msg];
    }
    const pipe = this.lb.send(out);
    if (pipe === undefined) return "blocked";
    this.requestId = id;
    this.replyPipe = pipe;
    this.receivingReply = true;
    this.stash = undefined;
    return "sent";
  }

  checkSend(): void {
    if (this.receivingReply && !this.host.options.relaxed) efsm();
  }

  checkReceive(): void {
    if (!this.receivingReply) efsm();
  }

  override receive(): Msg | undefined {
    if (!this.receivingReply) efsm();
    const reply = this.stash ?? this.nextReply();
    this.stash = undefined;
    if (reply !== undefined) {
      this.receivingReply = false;
      this.replyPipe = undefined;
    }
    return reply;
  }

  override hasIn(): boolean {
    if (!this.receivingReply) return false;
    this.stash ??= this.nextReply();
    return this.stash !== undefined;
  }

  override hasOut(): boolean {
    if (this.receivingReply && !this.host.options.relaxed) return false;
    return this.lb.hasOut();
  }

  override terminated(p: PipeEnd): void {
    super.terminated(p);
    if (this.replyPipe === p) this.replyPipe = undefined;
  }

  /** Next well-formed reply from the reply pipe; anything else is dropped. */
  private nextReply(): Msg | undefined {
    const correlate = this.host.options.correlate;
    for (;;) {
      const m = this.fq.receive();
      if (m === undefined) return undefined;
      if (this.fq.last !== this.replyPipe) continue;
      if (correlate) {
        const f = m[0]!;
        if (m.length < 2 || f.length !== 4 || f.readUInt32BE(0) !== this.requestId || m[1]!.length !== 0) continue;
        return m.slice(2);
      }
      if (m.length < 1 || m[0]!.length !== 0) continue;
      return m.slice(1);
    }
  }
}
