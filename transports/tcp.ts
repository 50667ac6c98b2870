// tcp://host:port over node:net. Only listening and dialing live here; the
// ZMTP engine and sessions are shared with ipc (stream.ts).
import dns from "node:dns";
import { type LookupFunction, type TcpNetConnectOpts, createConnection, createServer, isIP, isIPv6 } from "node:net";
import type { Endpoint } from "../lib/core/endpoint.js";
import { zmqError, fromSystemError } from "../lib/core/errors.js";
import { listenFailure } from "./listen-error.js";
import { StreamListener, connectStream } from "./stream.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../lib/core/transport.js";

function formatAddress(host: string, port: number): string {
  return isIPv6(host) ? `tcp://[${host}]:${port}` : `tcp://${host}:${port}`;
}

/** `*` binds every interface: IPv6 and IPv4 with the ipv6 option, else IPv4. */
function bindHost(host: string, ipv6: boolean): string {
  if (host === "*") return ipv6 ? "::" : "0.0.0.0";
  return host;
}

/** net.connect adds AI_ADDRCONFIG to family-0 lookups, which hides ::1 on
 * hosts whose only IPv6 address is the loopback; libzmq does not set it. */
const lookupAny: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, hints: 0 }, (err, address, family) => callback(err, address, family));
};

export const tcpTransport: Transport = {
  schemes: ["tcp"],
  rawStreams: true,

  bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    if (ep.transport !== "tcp") return Promise.reject(zmqError("EINVAL"));
    const o = host.options;
    const h = bindHost(ep.host, o.ipv6);
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true, pauseOnConnect: true });
      const onError = (err: Error) => reject(listenFailure(err, ep.address, host));
      server.once("error", onError);
      server.listen({ host: h, port: ep.port === "*" ? 0 : ep.port, backlog: o.backlog, ipv6Only: false }, () => {
        server.off("error", onError);
        const a = server.address();
        if (a === null || typeof a === "string") {
          server.close();
          reject(zmqError("EINVAL", "tcp listener has no address", ep.address));
          return;
        }
        resolve(new StreamListener(server, formatAddress(a.address, a.port), host));
      });
    });
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "tcp") throw zmqError("EINVAL");
    if (ep.port === "*") throw zmqError("EINVAL", "connect needs an explicit port", ep.address);
    const port = ep.port;
    const target = ep.host;
    const source = ep.source;
    return connectStream(
      {
        dial: (onread) => {
          const o: TcpNetConnectOpts = { host: target, port, noDelay: true, onread };
          // as libzmq, host names resolve to IPv4 only unless the ipv6 option is on;
          // then every address is tried in turn, so a v6-only listener is reached
          // even if the name resolves to IPv4 first. Literals go as given.
          if (isIP(target) === 0) {
            if (host.options.ipv6) {
              o.family = 0;
              o.lookup = lookupAny;
              o.autoSelectFamily = true;
            } else o.family = 4;
          }
          if (source !== undefined) {
            const colon = source.lastIndexOf(":");
            o.localAddress = colon > 0 ? source.slice(0, colon) : source;
          }
          return createConnection(o);
        },
        starts: isIP(target) === 0 ? "after lookup" : undefined,
      },
      ep.address,
      host,
      opts,
    );
  },
};
