// XSUB (RFC 29): fair-queues messages from publishers and sends subscriptions
// (`\x01topic` / `\x00topic` messages) upstream to all of them, re-sending the
// whole set to each new or reconnected peer. SUB adds local prefix filtering
// and turns subscribe()/unsubscribe() into those messages.
import { zmqError } from "../lib/core/errors.js";
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { addPipe, removePipe } from "./active-pipes.js";
import { FairQueue } from "./fair-queue.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { SubscriptionTrie } from "./subscription-trie.js";

function subscriptionMessage(subscribe: boolean, topic: Buffer): Msg {
  const m = Buffer.allocUnsafe(topic.length + 1);
  m[0] = subscribe ? 1 : 0;
  topic.copy(m, 1);
  return [m];
}

export class XSubPattern implements Pattern, PipeSink {
  protected fq = new FairQueue();
  private pipes: PipeEnd[] = [];
  protected subs = new SubscriptionTrie();
  private stash: Msg | undefined;

  constructor(
    protected host: PatternHost,
    /** SUB: filter received messages by the local subscriptions. */
    private readonly filter = false,
  ) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    addPipe(this.pipes, p);
    this.fq.attach(p);
    this.resend(p);
    this.host.readable();
  }

  hiccuped(p: PipeEnd): void {
    this.resend(p);
  }

  private resend(p: PipeEnd): void {
    for (const t of this.subs.topics()) p.write(subscriptionMessage(true, t));
  }

  readActivated(p: PipeEnd): void {
    this.fq.activated(p);
    this.host.readable();
  }
  writeActivated(): void {
    this.host.writable();
  }
  terminated(p: PipeEnd): void {
    removePipe(this.pipes, p);
    this.fq.detach(p);
  }

  private sendToAll(msg: Msg): void {
    const ps = this.pipes;
    for (let i = 0; i < ps.length; i++) if (!ps[i]!.write(i === 0 ? msg : msg.slice())) this.host.dropped(msg, "hwm");
  }

  /** subscribe()/unsubscribe() on SUB, and subscription messages on XSUB. */
  subscribe(subscribe: boolean, topic: Buffer): void {
    if (subscribe) {
      // forwarded even when already subscribed: XPUB verbose counts them (libzmq)
      this.subs.add(topic);
      this.sendToAll(subscriptionMessage(true, topic));
    } else if (this.subs.rm(topic)) {
      this.sendToAll(subscriptionMessage(false, topic));
    }
  }

  /** As libzmq xsub_t::xsend: every part starting with 1 or 0 (un)subscribes,
   * and the message goes on as is, less any cancel of a topic not held. */
  send(msg: Msg): SendResult {
    let out: Msg | undefined;
    for (let i = 0; i < msg.length; i++) {
      const f = msg[i]!;
      if (f.length > 0 && f[0] === 1) this.subs.add(f.subarray(1));
      else if (f.length > 0 && f[0] === 0 && !this.subs.rm(f.subarray(1))) {
        out ??= msg.slice(0, i);
        continue;
      }
      out?.push(f);
    }
    const m = out ?? msg;
    if (m.length > 0) this.sendToAll(m);
    return "sent";
  }

  receive(): Msg | undefined {
    const s = this.stash;
    if (s !== undefined) {
      this.stash = undefined;
      return s;
    }
    if (!this.filter) return this.fq.receive();
    const invert = this.host.options.invertMatching;
    for (;;) {
      const m = this.fq.receive();
      if (m === undefined) return undefined;
      if (this.subs.match(m[0]!) !== invert) return m;
    }
  }

  hasIn(): boolean {
    this.stash ??= this.receive();
    return this.stash !== undefined;
  }
  hasOut(): boolean {
    return true;
  }
}

export class SubPattern extends XSubPattern {
  constructor(host: PatternHost) {
    super(host, true);
  }
  override send(): SendResult {
    throw zmqError("ENOTSUP");
  }
  checkSend(): void {
    throw zmqError("ENOTSUP");
  }
}
