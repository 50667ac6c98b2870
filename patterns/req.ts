// REQ (RFC 28): DEALER plus a strict send/receive alternation and the
// envelope: an empty delimiter (and with `correlate` a 4-byte request id)
// before the body. Only the reply from the peer last sent to is accepted.
import { EMPTY_FRAME, type Msg, withMeta } from "../lib/core/message.js";
import type { PipeEnd } from "../lib/core/pipe.js";
import { DealerPattern } from "./dealer.js";
import type { SendResult } from "../lib/core/pattern.js";
import { efsm } from "./util.js";

export class ReqPattern extends DealerPattern {
  private receivingReply = false;
  private replyPipe: PipeEnd | undefined;
  private requestId = (this.host.random() * 0x100000000) >>> 0;
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
    if (!this.lb.hasOut()) return "blocked";
    // libzmq eats what is already queued, so a late reply to an old request
    // is never taken for the answer to this one. Before the write: a peer in
    // another thread may answer before send() returns.
    while (this.fq.receive() !== undefined);
    let pipe: PipeEnd | undefined;
    try {
      pipe = this.lb.send(out);
    } catch (e) {
      // refused (EMSGSIZE): a reply to the last request was eaten above, so
      // that request is over too; receive() is EFSM rather than a wait for ever
      this.receivingReply = false;
      this.replyPipe = undefined;
      throw e;
    }
    if (pipe === undefined) return "blocked";
    this.requestId = id;
    this.replyPipe = pipe;
    this.receivingReply = true;
    this.stash = undefined;
    return "sent";
  }

  /** A request waiting in the socket's queue counts as sent. */
  checkSend(queuedSends: number): void {
    if (!this.host.options.relaxed && (this.receivingReply || queuedSends > 0)) efsm();
  }

  checkReceive(queuedSends: number): void {
    if (!this.receivingReply && queuedSends === 0) efsm();
  }

  override receive(): Msg | undefined {
    // a receive() behind a request still queued in the socket waits for it
    if (!this.receivingReply) return undefined;
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

  /** Next well-formed reply from the reply pipe (any pipe once that one is
   * gone, as libzmq); anything else is dropped. A reply is [id,] "", body... */
  private nextReply(): Msg | undefined {
    const correlate = this.host.options.correlate;
    for (;;) {
      const m = this.fq.receive();
      if (m === undefined) return undefined;
      if (this.replyPipe !== undefined && this.fq.last !== this.replyPipe) continue;
      let i = 0;
      if (correlate) {
        const f = m[0]!;
        if (f.length !== 4 || f.readUInt32BE(0) !== this.requestId) continue;
        i = 1;
      }
      if (m.length < i + 2 || m[i]!.length !== 0) continue;
      return withMeta(m.slice(i + 1), m);
    }
  }
}
