// XPUB (RFC 29): sends each message to every peer subscribed to a prefix of its
// first frame, dropping for peers at their HWM (or waiting, with noDrop), and
// hands (un)subscriptions to the application. PUB is XPUB without receive.
import { zmqError } from "../lib/core/errors.js";
import { MAX_TOPIC_BYTES } from "../lib/core/limits.js";
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { RingQueue } from "../lib/core/ring-queue.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { addPipe, hasPipe, removePipe } from "./active-pipes.js";
import { MultiTrie } from "./subscription-trie.js";

let epochs = 0;

/** A message for the application; `pipe` is the peer a subscription came from. */
interface Pending {
  msg: Msg;
  pipe: PipeEnd | undefined;
}

export { MAX_TOPIC_BYTES };
/** Most topics one peer may hold at once. */
export const MAX_TOPICS_PER_PEER = 100_000;
/** Most topic bytes one peer may hold at once. */
export const MAX_TOPIC_BYTES_PER_PEER = 16 * 1024 * 1024;

const isSubscription = (f: Buffer) => f.length > 0 && (f[0] === 1 || f[0] === 0);

export class XPubPattern implements Pattern, PipeSink {
  readonly dropsWhenFull = true;
  private pipes: PipeEnd[] = [];
  private subs = new MultiTrie();
  /** manual: the topics each peer asked for, reported back when it leaves. */
  private requested = new MultiTrie();
  private pending = new RingQueue<Pending>();
  /** manual: the peer of the subscription the application received last
   * (libzmq sets it in xrecv, not on arrival). */
  private lastPipe: PipeEnd | undefined;
  private matched: PipeEnd[] = [];

  constructor(
    protected host: PatternHost,
    /** PUB: subscriptions are applied but never reach the application. */
    private readonly isPub = false,
  ) {}

  attach(p: PipeEnd): void {
    p.sink = this;
    addPipe(this.pipes, p);
    const welcome = this.host.options.welcomeMessage;
    if (welcome !== undefined && welcome.length > 0 && !this.isPub) p.write([welcome]);
    this.readActivated(p);
    this.host.writable();
  }

  readActivated(p: PipeEnd): void {
    let msg: Msg | undefined;
    let notify = false;
    while ((msg = p.read()) !== undefined) {
      if (msg.length === 1) {
        const f = msg[0]!;
        if (isSubscription(f)) {
          if (this.subscription(f[0] === 1, f.subarray(1), p, msg)) notify = true;
        } else if (!this.isPub) {
          // libzmq 4.2+: other messages from XSUB peers reach the application
          this.queue({ msg, pipe: undefined });
          notify = true;
        }
      } else if (this.multipart(msg, p)) notify = true;
    }
    if (notify) this.host.readable();
  }

  /** As libzmq xpub_t::xread_activated: each part starting with 1 or 0 is a
   * subscription, its notification a part without MORE, so it ends the message
   * the application reads; other parts reach the application. True if
   * something was queued. */
  private multipart(msg: Msg, p: PipeEnd): boolean {
    let queued = false;
    let rest: Buffer[] | undefined;
    for (let i = 0; i < msg.length; i++) {
      const f = msg[i]!;
      if (!isSubscription(f)) {
        if (!this.isPub) (rest ??= []).push(f);
        continue;
      }
      let note: Msg;
      if (rest === undefined) note = [f];
      else {
        rest.push(f);
        note = rest;
      }
      if (this.subscription(f[0] === 1, f.subarray(1), p, note)) {
        queued = true;
        rest = undefined;
      } else if (rest !== undefined) rest.pop();
      if (p.closed) return queued;
    }
    // libzmq would join parts left waiting for a notification to the next
    // message; here they stay a message of their own
    if (rest !== undefined) {
      this.queue({ msg: rest, pipe: undefined });
      queued = true;
    }
    return queued;
  }

  /** Apply one subscription; true if it was queued for the application. */
  private subscription(subscribe: boolean, topic: Buffer, p: PipeEnd, msg: Msg): boolean {
    const o = this.host.options;
    if (subscribe && !this.withinLimits(o.manual && !this.isPub ? this.requested : this.subs, topic, p)) {
      // a peer flooding subscriptions cannot grow our memory: drop it
      p.close();
      return false;
    }
    let deliver: boolean;
    if (o.manual && !this.isPub) {
      if (subscribe) this.requested.add(topic, p);
      else this.requested.rm(topic, p);
      deliver = true;
    } else if (subscribe) {
      deliver = this.subs.add(topic, p) || o.verbosity !== null;
    } else {
      // libzmq notifies unless other peers still hold the topic
      deliver = this.subs.rm(topic, p) !== "valuesRemain" || o.verbosity === "allSubsUnsubs";
    }
    if (deliver && !this.isPub) {
      this.queue({ msg, pipe: p });
      return true;
    }
    return false;
  }

  /** What the application has not read yet is bounded by receiveHighWaterMark
   * (0: no limit): past it, notifications and upstream messages are dropped,
   * as any queue at its HWM. Subscriptions themselves still apply. */
  private queue(e: Pending): void {
    const hwm = this.host.options.receiveHighWaterMark;
    if (hwm > 0 && this.pending.length >= hwm) return;
    this.pending.push(e);
  }

  /** Per-peer bounds on subscriptions (libzmq has none; see README). */
  private withinLimits(trie: MultiTrie, topic: Buffer, p: PipeEnd): boolean {
    if (topic.length > MAX_TOPIC_BYTES) return false;
    const h = trie.held(p);
    return h.count < MAX_TOPICS_PER_PEER && h.bytes + topic.length <= MAX_TOPIC_BYTES_PER_PEER;
  }

  /** XPUB_MANUAL: (un)subscribe the peer of the subscription received last. */
  manualSubscribe(subscribe: boolean, topic: Buffer): void {
    if (!this.host.options.manual) throw zmqError("EINVAL", "subscribe()/unsubscribe() on XPUB need the manual option");
    const p = this.lastPipe;
    if (p === undefined) return;
    if (subscribe) this.subs.add(topic, p);
    else this.subs.rm(topic, p);
  }

  writeActivated(): void {
    this.host.writable();
  }

  terminated(p: PipeEnd): void {
    if (!removePipe(this.pipes, p)) return;
    if (this.lastPipe === p) this.lastPipe = undefined;
    let notify = false;
    const report = (topic: Buffer) => {
      if (this.isPub) return;
      const m = Buffer.allocUnsafe(topic.length + 1);
      m[0] = 0;
      topic.copy(m, 1);
      this.queue({ msg: [m], pipe: undefined });
      notify = true;
    };
    const o = this.host.options;
    // as libzmq: manual mode reports what the peer asked for; verbose
    // unsubscriptions report every topic of the peer, otherwise only the
    // topics no other peer holds
    if (o.manual) {
      this.requested.rmPipe(p, report, true);
      this.subs.rmPipe(p);
    } else {
      this.subs.rmPipe(p, report, o.verbosity === "allSubsUnsubs");
    }
    if (notify) this.host.readable();
    // a send waiting (noDrop) for this peer may go now
    this.host.writable();
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
    if (targets.length === 0) this.host.dropped(msg, "unsubscribed");
    // one message object per pipe: receivers may own (and mutate) their array
    for (let i = 0; i < targets.length; i++) if (!targets[i]!.write(i === 0 ? msg : msg.slice())) this.host.dropped(msg, "hwm");
    return "sent";
  }

  receive(): Msg | undefined {
    if (this.isPub) throw zmqError("ENOTSUP");
    const e = this.pending.shift();
    if (e === undefined) return undefined;
    if (e.pipe !== undefined && this.host.options.manual) {
      this.lastPipe = hasPipe(this.pipes, e.pipe) ? e.pipe : undefined;
    }
    return e.msg;
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
