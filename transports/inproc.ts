// inproc: no wire, no engine. connect() joins the two sockets' pattern with a
// pipe whose HWM each way is the writer's SNDHWM plus the reader's RCVHWM (as
// libzmq). Connecting before the bind works: the connecting end is attached at
// once (messages queue) and the other end waits for the bind. In a shared
// context, names bound in other threads are reached through `context.remote`
// (transports/threads): this file only asks it before and after its own map.
import type { InprocEntry } from "../lib/core/context.js";
import type { Endpoint } from "../lib/core/endpoint.js";
import { zmqError } from "../lib/core/errors.js";
import { type PeerInfo, type PipeEnd, pipePair } from "../lib/core/pipe.js";
import { socketTypesCompatible } from "../lib/core/socket-type.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../lib/core/transport.js";

export interface Pending {
  host: TransportHost;
  /** The connecting socket's end (already attached). */
  local: PipeEnd;
  /** The end that goes to whoever binds. */
  remote: PipeEnd;
}

/** A bound name. close() (unbind) only frees the name: as libzmq, inproc
 * connections already made stay up until either socket closes them. */
class InprocBinding implements InprocEntry, Binding {
  /** libzmq's monitor reports nothing about inproc endpoints. */
  readonly monitored = false;
  readonly kind = "bound";
  /** the binding's number in the shared context (0: not shared) */
  serial = 0;
  constructor(
    readonly name: string,
    readonly address: string,
    readonly host: TransportHost,
  ) {}

  openPipe(self: PeerInfo): PipeEnd | undefined {
    if (this.host.closed || !socketTypesCompatible(self.socketType ?? "", this.host.socketType)) return undefined;
    const [local, remote] = pipePair(peerOf(this.host, this.address, true), self, true, true);
    this.host.attachPipe(remote);
    return local;
  }

  close(): void {
    const reg = this.host.context.inproc;
    if (reg.get(this.name) === this) {
      reg.delete(this.name);
      if (this.serial !== 0) this.host.context.remote?.release(this.name, this.serial);
    }
  }
}

class PendingList implements InprocEntry {
  readonly kind = "pending";
  readonly list: Pending[] = [];
}

export function peerOf(host: TransportHost, endpoint: string, local: boolean, connectRoutingId?: Buffer): PeerInfo {
  const info: PeerInfo = {
    socketType: host.socketType,
    endpoint,
    locallyInitiated: local,
  };
  const rid = host.options.routingId;
  if (rid !== undefined) info.routingId = rid;
  if (connectRoutingId !== undefined) info.connectRoutingId = connectRoutingId;
  return info;
}

/** Hand the waiting end of a pending connect to the binder. */
function join(b: InprocBinding, p: Pending, address: string): void {
  // a connecter closed with messages queued still delivers them (see close below)
  if (p.remote.closed || (p.local.closed && p.local.outboundLength === 0)) return;
  if (!socketTypesCompatible(p.host.socketType, b.host.socketType)) {
    p.local.close();
    return;
  }
  p.remote.peer = peerOf(p.host, address, false);
  p.remote.ready = true;
  b.host.attachPipe(p.remote);
  const seenByConnecter = peerOf(b.host, address, true, p.local.peer.connectRoutingId);
  p.local.announce(seenByConnecter);
}

export const inprocTransport: Transport = {
  schemes: ["inproc"],

  async bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    if (ep.transport !== "inproc") throw zmqError("EINVAL");
    const reg = host.context.inproc;
    const existing = reg.get(ep.name);
    // a socket or anything else bound there (an authenticator function)
    if (existing !== undefined && !(existing instanceof PendingList)) throw zmqError("EADDRINUSE", undefined, ep.address);
    const remote = host.context.remote;
    if (remote !== undefined) {
      await remote.ensureFree(ep.name);
      const now = reg.get(ep.name);
      if (now !== undefined && !(now instanceof PendingList)) throw zmqError("EADDRINUSE", undefined, ep.address);
    }
    const b = new InprocBinding(ep.name, ep.address, host);
    if (remote !== undefined) b.serial = remote.claim(ep.name, host);
    reg.set(ep.name, b);
    if (existing instanceof PendingList) for (const p of existing.list) join(b, p, ep.address);
    return b;
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "inproc") throw zmqError("EINVAL");
    const reg = host.context.inproc;
    const entry = reg.get(ep.name);
    const address = ep.address;
    if (entry instanceof InprocBinding) {
      if (!socketTypesCompatible(host.socketType, entry.host.socketType)) return { close() {} };
      const [local, remote] = pipePair(
        peerOf(entry.host, address, true, opts.routingId),
        peerOf(host, address, false),
        true,
        true,
      );
      host.attachPipe(local);
      entry.host.attachPipe(remote);
      return { close: () => local.close() };
    }
    if (entry !== undefined && !(entry instanceof PendingList)) {
      // bound by something that is not a socket: it makes the pipe
      const local = entry.openPipe?.(peerOf(host, address, false, opts.routingId));
      if (local === undefined) return { close() {} };
      host.attachPipe(local);
      return { close: () => local.close() };
    }
    if (entry === undefined || entry instanceof PendingList) {
      const there = host.context.remote?.connect(ep.name, address, host, opts);
      if (there !== undefined) return there;
    }
    return connectPending(ep.name, address, host, opts);
  },
};

/** A connect before any bind: the pipe exists now, the peer comes later (from
 * a bind in this thread, or handed to another thread by takePending). */
export function connectPending(name: string, address: string, host: TransportHost, opts: ConnectOptions): Connection {
  const reg = host.context.inproc;
  const entry = reg.get(name);
  const ep = { name };
  const unknown: PeerInfo = { socketType: null, endpoint: address, locallyInitiated: true };
  if (opts.routingId !== undefined) unknown.connectRoutingId = opts.routingId;
  const [local, remote] = pipePair(unknown, peerOf(host, address, false), false, false);
  let pending = entry as PendingList | undefined;
  if (pending === undefined) reg.set(ep.name, (pending = new PendingList()));
  const p: Pending = { host, local, remote };
  pending.list.push(p);
  host.attachPipe(local);
  return {
    close: () => {
      local.close();
      // libzmq counts what is queued as sent, whatever the linger: a later
      // binder still receives it (test_hwm connect_and_close_first)
      if (local.outboundLength > 0) return;
      const cur = reg.get(ep.name);
      if (cur instanceof PendingList) {
        const i = cur.list.indexOf(p);
        if (i >= 0) cur.list.splice(i, 1);
        if (cur.list.length === 0) {
          reg.delete(ep.name);
          host.context.remote?.unwait(ep.name);
        }
      }
    },
  };
}

/** The connects of this thread waiting for `name`, taken out of the map
 * (another thread bound it). */
export function takePending(reg: Map<string, InprocEntry>, name: string): Pending[] {
  const cur = reg.get(name);
  if (!(cur instanceof PendingList)) return [];
  reg.delete(name);
  return cur.list.filter((p) => !p.remote.closed && !(p.local.closed && p.local.outboundLength === 0));
}

/** The socket bound at `name` in this thread as binding `serial`, if still there. */
export function boundHost(reg: Map<string, InprocEntry>, name: string, serial: number): TransportHost | undefined {
  const b = reg.get(name);
  return b instanceof InprocBinding && b.serial === serial && !b.host.closed ? b.host : undefined;
}
