// ROUTER (RFC 28): prefixes each received message with the routing id of the
// peer it came from; routes each sent message by its first frame.
import { type ZmqError, zmqError } from "../lib/core/errors.js";
import { EMPTY_FRAME, type Msg, withMeta } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import { FairQueue } from "./fair-queue.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { RoutingTable } from "./routing-table.js";

export class RouterPattern implements Pattern, PipeSink {
  readonly dropsWhenFull = true;
  protected fq = new FairQueue();
  protected table: RoutingTable;
  /** Pipes whose peer identity is not known yet, or refused duplicates. */
  private anonymous = new Set<PipeEnd>();
  constructor(protected host: PatternHost) {
    this.table = new RoutingTable(host.random);
  }

  attach(p: PipeEnd): void {
    p.sink = this;
    this.identify(p);
  }

  /** Pick the pipe's routing id (libzmq identify_peer). */
  private identify(p: PipeEnd): void {
    const peer = p.peer;
    let id: Buffer;
    if (peer.locallyInitiated && peer.connectRoutingId !== undefined) id = peer.connectRoutingId;
    else if (!p.ready) {
      this.anonymous.add(p);
      return;
    } else if (peer.routingId !== undefined && peer.routingId.length > 0) id = peer.routingId;
    else id = this.table.generate();

    const existing = this.table.get(id);
    if (existing !== undefined && existing !== p && !this.host.options.handover) {
      // libzmq ignores a newcomer with a duplicate id: nothing flows from it
      this.anonymous.add(p);
      return;
    }
    this.anonymous.delete(p);
    this.table.set(id, p);
    if (existing !== undefined && existing !== p) {
      // handover: the newcomer owns the id before the old pipe's close is reported
      this.fq.detach(existing);
      existing.close();
    }
    if (this.host.options.probeRouter) p.write([EMPTY_FRAME]);
    this.fq.attach(p);
    this.host.writable();
    this.host.readable();
  }

  peerReady(p: PipeEnd): void {
    if (this.anonymous.has(p)) {
      this.identify(p);
      return;
    }
    const rid = p.peer.routingId;
    if (p.peer.locallyInitiated && p.peer.connectRoutingId !== undefined) return;
    if (rid !== undefined && rid.length > 0 && p.routingId !== undefined && !rid.equals(p.routingId)) {
      this.table.delete(p);
      this.fq.detach(p);
      this.identify(p);
    }
  }

  readActivated(p: PipeEnd): void {
    if (this.anonymous.has(p)) {
      // refused duplicate: drop what it sends so it cannot grow memory
      while (p.read() !== undefined);
      return;
    }
    this.fq.activated(p);
    this.host.readable();
  }
  writeActivated(): void {
    this.host.writable();
  }
  terminated(p: PipeEnd): void {
    this.anonymous.delete(p);
    this.fq.detach(p);
    this.table.delete(p);
    // a mandatory send waiting for this peer now fails or waits afresh
    this.host.writable();
  }

  send(msg: Msg): SendResult {
    // a lone id frame is malformed: libzmq drops it, even with mandatory
    if (msg.length < 2) {
      this.host.dropped(msg, "unroutable");
      return "dropped";
    }
    const mandatory = this.host.options.mandatory;
    const pipe = this.table.get(msg[0]!);
    if (pipe === undefined) {
      if (!mandatory) {
        this.host.dropped(msg, "unroutable");
        return "dropped";
      }
      // with no peer at all a mandatory ROUTER waits (zeromq.js waits for
      // POLLOUT, which libzmq's router reports only with a writable peer)
      if (this.table.size === 0) return "blocked";
      throw zmqError("EHOSTUNREACH");
    }
    if (pipe.write(msg.slice(1))) return "sent";
    if (mandatory) return "blocked";
    this.host.dropped(msg, "hwm");
    return "dropped";
  }

  /** A mandatory send to an id nobody has, timed out: EHOSTUNREACH (as
   * zeromq.js reports it), not EAGAIN; a known but full peer stays EAGAIN. */
  sendTimeoutError(msg: Msg): ZmqError | undefined {
    return this.host.options.mandatory && this.table.get(msg[0]!) === undefined ? zmqError("EHOSTUNREACH") : undefined;
  }

  receive(): Msg | undefined {
    const m = this.fq.receive();
    if (m === undefined) return undefined;
    const out = new Array<Buffer>(m.length + 1);
    // a copy: the application may change it, the table's id must not (libzmq copies too)
    out[0] = Buffer.from(this.fq.last!.routingId!);
    for (let i = 0; i < m.length; i++) out[i + 1] = m[i]!;
    return withMeta(out, m);
  }

  hasIn(): boolean {
    return this.fq.hasIn();
  }

  hasOut(): boolean {
    // libzmq: without mandatory a ROUTER is always writable
    if (!this.host.options.mandatory) return true;
    for (const p of this.table.pipes()) if (p.checkWrite()) return true;
    return false;
  }
}
