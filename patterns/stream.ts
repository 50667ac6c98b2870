// STREAM (libzmq stream_t): raw byte-stream peers, each named by a routing id.
// A received message is [id, bytes] (bytes empty: the peer connected or went
// away, with `notify`); a sent message is [id, bytes...], and [id, ""] closes
// that peer's connection once what was sent before it is written.
import { zmqError } from "../lib/core/errors.js";
import { type Msg, withMeta } from "../lib/core/message.js";
import type { PipeEnd, PipeSink } from "../lib/core/pipe.js";
import type { Pattern, PatternHost, SendResult } from "../lib/core/pattern.js";
import { FairQueue } from "./fair-queue.js";
import { RoutingTable } from "./routing-table.js";

export class StreamPattern implements Pattern, PipeSink {
  private fq = new FairQueue();
  private table: RoutingTable;

  constructor(private host: PatternHost) {
    this.table = new RoutingTable(host.random);
  }

  /** Every pipe is named at once (libzmq identify_peer): a connect's pipe
   * exists before its connection, so sends to its id queue meanwhile. */
  attach(p: PipeEnd): void {
    p.sink = this;
    const given = p.peer.locallyInitiated ? p.peer.connectRoutingId : undefined;
    // libzmq asserts on a connect id already in use; omq names the newcomer afresh
    const id = given !== undefined && !this.table.has(given) ? given : this.table.generate();
    this.table.set(id, p);
    this.fq.attach(p);
    this.host.readable();
  }

  readActivated(p: PipeEnd): void {
    this.fq.activated(p);
    this.host.readable();
  }

  writeActivated(): void {
    this.host.writable();
  }

  terminated(p: PipeEnd): void {
    this.fq.detach(p);
    this.table.delete(p);
    this.host.writable();
  }

  send(msg: Msg): SendResult {
    // a lone id frame says nothing (libzmq ignores it)
    if (msg.length < 2) {
      this.host.dropped(msg, "unroutable");
      return "dropped";
    }
    const pipe = this.table.get(msg[0]!);
    if (pipe === undefined) throw zmqError("EHOSTUNREACH");
    if (msg.length === 2 && msg[1]!.length === 0) {
      // close: the session writes what the pipe holds, then ends the connection
      this.table.delete(pipe);
      this.fq.detach(pipe);
      pipe.close();
      return "sent";
    }
    // a full peer waits (libzmq returns EAGAIN for it)
    return pipe.write(msg.slice(1)) ? "sent" : "blocked";
  }

  receive(): Msg | undefined {
    const m = this.fq.receive();
    if (m === undefined) return undefined;
    // a copy: the application may change it, the table's id must not
    return withMeta([Buffer.from(this.fq.last!.routingId!), m[0]!], m);
  }

  hasIn(): boolean {
    return this.fq.hasIn();
  }

  hasOut(): boolean {
    // libzmq: a STREAM socket is always writable
    return true;
  }
}
