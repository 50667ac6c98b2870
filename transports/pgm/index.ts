// pgm:// and epgm://: a stand-in for ZeroMQ's PGM transports built on UDP
// multicast (node:dgram), for PUB/XPUB (senders) and SUB/XSUB (receivers).
// Both schemes behave the same; neither needs raw sockets, and neither
// interoperates with OpenPGM or libzmq (see packet.ts for the wire format).
//
// bind() and connect() do the same thing (libzmq allows both): set up the
// multicast socket(s) for the endpoint and give the socket one pipe. A sender
// makes its socket send it everything (multicast cannot carry subscriptions
// upstream); a receiver drops what its socket writes and SUB filters locally.
import type { Endpoint } from "../../lib/core/endpoint.js";
import { zmqError } from "../../lib/core/errors.js";
import { type PeerInfo, pipePair } from "../../lib/core/pipe.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../../lib/core/transport.js";
import { resolveInterface } from "./iface.js";
import { PgmReceiver, type ReceiverStats } from "./receiver.js";
import { PgmSender, type SenderStats } from "./sender.js";

export { setPgmTestHooks, DEFAULT_TIMING, type PgmTestHooks, type PgmTiming } from "./hooks.js";
export type { Packet, DataPacket, SpmPacket, NakPacket } from "./packet.js";

const SENDERS = new Set(["PUB", "XPUB"]);
const RECEIVERS = new Set(["SUB", "XSUB"]);


type PgmEndpoint = PgmSender | PgmReceiver;

/** Live endpoints per host, for pgmStats (the package's pgmDiagnostics). */
const live = new WeakMap<object, Set<PgmEndpoint>>();

/** Counters and memory of one socket's pgm endpoints (pgmDiagnostics). */
export function pgmStats(host: object): { senders: SenderStats[]; receivers: ReceiverStats[] } {
  const out = { senders: [] as SenderStats[], receivers: [] as ReceiverStats[] };
  for (const e of live.get(host) ?? []) {
    if (e instanceof PgmSender) out.senders.push(e.getStats());
    else out.receivers.push(e.getStats());
  }
  return out;
}

function create(ep: Endpoint, host: TransportHost, locallyInitiated: boolean): PgmEndpoint {
  if (ep.transport !== "pgm" && ep.transport !== "epgm") throw zmqError("EINVAL", undefined, ep.address);
  const iface = resolveInterface(ep.iface, ep.address);
  const peer: PeerInfo = { socketType: null, endpoint: ep.address, locallyInitiated };
  const [mine, theirs] = pipePair({ ...peer }, { ...peer }, true, true);
  let e: PgmEndpoint;
  if (SENDERS.has(host.socketType)) {
    e = new PgmSender(host, iface, ep.group, ep.port, mine);
    // libzmq (pgm_sender_t::plug): the socket must send us everything
    mine.write([Buffer.from([1])]);
  } else if (RECEIVERS.has(host.socketType)) {
    e = new PgmReceiver(host, iface, ep.group, ep.port, ep.address, mine);
  } else {
    throw zmqError("ENOCOMPATPROTO", undefined, ep.address);
  }
  let set = live.get(host);
  if (set === undefined) live.set(host, (set = new Set()));
  set.add(e);
  const endpoint = e;
  mine.onClose = () => set.delete(endpoint);
  host.attachPipe(theirs);
  if (e instanceof PgmReceiver) e.drainPipe();
  return e;
}

export const pgmTransport: Transport = {
  schemes: ["pgm", "epgm"],

  supports(socketType: string): boolean {
    return SENDERS.has(socketType) || RECEIVERS.has(socketType);
  },

  async bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    const e = create(ep, host, false);
    await e.open();
    return { address: ep.address, close: () => e.close() };
  },

  connect(ep: Endpoint, host: TransportHost, _opts: ConnectOptions): Connection {
    const e = create(ep, host, true);
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    let current = e;
    const attempt = (x: PgmEndpoint) => {
      x.open().then(
        () => {
          if (!closed) host.emit({ type: "connect", address: ep.address });
        },
        (err: unknown) => {
          if (closed || host.closed) return;
          const interval = host.options.reconnectInterval;
          if (interval < 0) return;
          host.emit({ type: "connect:retry", address: ep.address, interval, error: err as Error });
          retry = setTimeout(() => {
            retry = undefined;
            if (closed || host.closed) return;
            current = create(ep, host, true);
            attempt(current);
          }, Math.max(1, interval));
          retry.unref();
        },
      );
    };
    attempt(e);
    return {
      close: () => {
        if (closed) return;
        closed = true;
        if (retry !== undefined) clearTimeout(retry);
        current.close();
      },
    };
  },
};
