// sim:// — the transport of omq/testing's simulated network. A socket of a
// simulation node binds `sim://<its node>:<port>` (or `sim://*:<port>`) and
// connects to `sim://<node>:<port>`; underneath, the connection is a pair of
// SimWires carried by the SimNetwork in virtual time, and on top the same
// ZMTP engine, sessions, mechanisms and reconnect loop as tcp. Which network
// and node a socket belongs to follows from its Context (attachSimContext).
import type { Context } from "../../lib/core/context.js";
import type { Endpoint } from "../../lib/core/endpoint.js";
import { zmqError } from "../../lib/core/errors.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../../lib/core/transport.js";
import type { Socket as NetSocket } from "node:net";
import { AcceptingListener, connectStream } from "../stream.js";
import type { SimHost, SimListener, SimNetwork } from "./network.js";
import type { SimWire } from "./wire.js";

export { SimNetwork, Link } from "./network.js";
export type { SimHost, BreakReason, NetworkObserver, LinkSpeed } from "./network.js";
export { SimWire } from "./wire.js";

interface Placement {
  network: SimNetwork;
  host: SimHost;
  /** Ports handed out for sim://node:* binds. */
  nextPort: { value: number };
}

const placements = new WeakMap<Context, Placement>();

/** The sockets of `ctx` live on `host` in `network`. */
export function attachSimContext(ctx: Context, network: SimNetwork, host: SimHost, nextPort: { value: number }): void {
  placements.set(ctx, { network, host, nextPort });
}

function placementOf(host: TransportHost, address: string): Placement {
  const p = placements.get(host.context);
  if (p === undefined) throw zmqError("ENOTSUP", "sim:// needs a socket of a simulation node (omq/testing)", address);
  return p;
}

export const simTransport: Transport = {
  schemes: ["sim"],
  rawStreams: true,

  async bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    if (ep.transport !== "sim") throw zmqError("EINVAL");
    const p = placementOf(host, ep.address);
    const name = p.host.name;
    if (ep.host !== "*" && ep.host !== name) throw zmqError("EADDRNOTAVAIL", `a node binds its own name or * (node ${name})`, ep.address);
    const port = ep.port === "*" ? p.nextPort.value++ : ep.port;
    const key = `${name}:${port}`;
    const address = `sim://${key}`;
    const b = new SimBinding(p.network, p.host, key, address, host);
    try {
      p.network.listen(key, b);
    } catch (e) {
      throw zmqError("EADDRINUSE", undefined, ep.address);
    }
    return b;
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "sim") throw zmqError("EINVAL");
    const p = placementOf(host, ep.address);
    if (ep.port === "*") throw zmqError("EINVAL", "Invalid argument: connect needs a port", ep.address);
    const key = `${ep.host}:${ep.port}`;
    return connectStream({ dial: () => p.network.dial(p.host, key) as unknown as NetSocket }, ep.address, host, opts);
  },
};

/** A bound sim:// address: the sessions of the connections it accepted. */
class SimBinding extends AcceptingListener implements SimListener {
  constructor(
    private readonly net: SimNetwork,
    readonly node: SimHost,
    private readonly key: string,
    address: string,
    socketHost: TransportHost,
  ) {
    super(address, socketHost);
  }
  incoming(wire: SimWire): void {
    if (!this.open) {
      wire.destroy();
      return;
    }
    super.accept(wire as unknown as NetSocket);
  }
  protected stopListening(): void {
    this.net.unlisten(this.key, this);
  }
}
