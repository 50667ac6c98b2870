// XPUB (RFC 29): sends each message to every peer subscribed to a prefix of its
// first frame, dropping for peers at their HWM (or waiting, with noDrop), and
// hands (un)subscriptions to the application. PUB is XPUB without receive.
import { zmqError } from "../lib/errors.js";
import type { Msg } from "../lib/message.js";
import type { PipeEnd, PipeSink } from "../lib/pipe.js";
import { RingQueue } from "../lib/ring-queue.js";
import type { Pattern, PatternHost, SendResult } from "./pattern.js";
import { MultiTrie } from "./subscription-trie.js";

let epochs = 0;

export class XPubPattern implements Pattern, PipeSink {
  private pipes: PipeEnd[] = [];
  private subs = new MultiTrie();
  private pending = new RingQueue<Msg>();
  /** The pipe the last subscription came from (for manual mode). */
  private lastPipe: PipeEnd | undefined;
  private matched: PipeEnd[] = [];

  constructor(
    protected host: PatternHost,
    /** PUB: subscriptions are applied but never reach the application. */
    private readonly isPub = false,
  ) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    this.pipes.push(p);
    const welcome = this.host.options.welcomeMessage;
    if (welcome !== undefined && !this.isPub) p.write([welcome]);
    this.readActivated(p);
    this.host.writable();
  }

  readActivated(p: PipeEnd): void {
    let msg: Msg | undefined;
    let notify = false;
    while ((msg = p.read()) !== undefined) {
      const f = msg[0]!;
      if (msg.length === 1 && f.length > 0 && (f[0] === 1 || f[0] === 0)) {
        if (this.subscription(f[0] === 1, f.subarray(1), p, msg)) notify = true;
      } else if (!this.isPub) {
        // libzmq 4.2+: other messages from XSUB peers reach the application
        this.pending.push(msg);
        notify = true;
      }
    }
    if (notify) this.host.readable();
  }

  /** Apply one subscription; true if it was queued for the application. */
  private subscription(subscribe: boolean, topic: Buffer, p: PipeEnd, msg: Msg): boolean {
    const o = this.host.options;
    let deliver: boolean;
    if (o.manual && !this.isPub) {
      this.lastPipe = p;
      deliver = true;
    } else if (subscribe) {
      const first = this.subs.add(topic, p);
      deliver = first || o.verbosity !== null;
    } else {
      const r = this.subs.rm(topic, p);
      deliver = r === "lastRemoved" || (o.verbosity === "allSubsUnsubs" && r !== "notFound");
    }
    if (deliver && !this.isPub) {
      this.pending.push(msg);
      return true;
    }
    return false;
  }

  /** XPUB_MANUAL: (un)subscribe the pipe the last subscription came from. */
  manualSubscribe(subscribe: boolean, topic: Buffer): void {
    const p = this.lastPipe;
    if (p === undefined || p.closed) return;
    if (subscribe) this.subs.add(topic, p);
    else this.subs.rm(topic, p);
  }

  writeActivated(): void {
    this.host.writable();
  }

  terminated(p: PipeEnd): void {
    const i = this.pipes.indexOf(p);
    if (i >= 0) this.pipes.splice(i, 1);
    if (this.lastPipe === p) this.lastPipe = undefined;
    let notify = false;
    this.subs.rmPipe(p, (topic) => {
      if (this.isPub) return;
      const m = Buffer.allocUnsafe(topic.length + 1);
      m[0] = 0;
      topic.copy(m, 1);
      this.pending.push([m]);
      notify = true;
    });
    if (notify) this.host.readable();
  }

  /** The pipes a message goes to (reused array). */
  private match(msg: Msg): PipeEnd[] {
    const out = this.matched;
    out.length = 0;
    const epoch = ++epochs;
    this.subs.match(msg[0]!, epoch, (p) => out.push(p));
    if (this.host.options.invertMatching) {
      const inv: PipeEnd[] = [];
      for (const p of this.pipes) if (p.mark !== epoch) inv.push(p);
      return inv;
    }
    return out;
  }

  send(msg: Msg): SendResult {
    const targets = this.match(msg);
    if (this.host.options.noDrop) {
      for (let i = 0; i < targets.length; i++) if (!targets[i]!.checkWrite()) return "blocked";
    }
    // one message object per pipe: receivers may own (and mutate) their array
    for (let i = 0; i < targets.length; i++) targets[i]!.write(i === 0 ? msg : msg.slice());
    return "sent";
  }

  receive(): Msg | undefined {
    if (this.isPub) throw zmqError("ENOTSUP");
    return this.pending.shift();
  }
  checkReceive(): void {
    if (this.isPub) throw zmqError("ENOTSUP");
  }
  hasIn(): boolean {
    return this.pending.length > 0;
  }
  hasOut(): boolean {
    if (!this.host.options.noDrop) return true;
    for (const p of this.pipes) if (!p.checkWrite()) return false;
    return true;
  }
}

export class PubPattern extends XPubPattern {
  constructor(host: PatternHost) {
    super(host, true);
  }
}
