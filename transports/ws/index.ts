// ws:// and wss:// (ZWS 2.0, RFC 45). Listening is an HTTP(S) server whose
// upgrades hub.ts routes by path; dialing is a TCP or TLS connection, the
// upgrade (upgrade.ts), then the same engine, sessions and mechanisms as tcp,
// with the ZWS codec (lib/zws) in place of ZMTP's framing.
import { listenFailure } from "../listen-error.js";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, Server as HttpsServer } from "node:https";
import { type Socket as NetSocket, createConnection, isIP, isIPv6 } from "node:net";
import { type ConnectionOptions, type TlsOptions, connect as tlsConnect } from "node:tls";
import type { Endpoint } from "../../lib/core/endpoint.js";
import { ZmqError, fromSystemError, zmqError } from "../../lib/core/errors.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../../lib/core/transport.js";
import { zwsCodec } from "../../lib/zws/codec.js";
import { AcceptingListener, type StreamDialer, type Upgraded, connectStream } from "../stream.js";
import { type PathListener, WsHub } from "./hub.js";
import { UpgradeResponse, offeredProtocols, upgradeRequest } from "./upgrade.js";

type WsEndpoint = Extract<Endpoint, { transport: "ws" | "wss" }>;

/** Hubs of the servers bind() made, by scheme, address and port. */
const ownedHubs = new Map<string, WsHub>();
/** Hubs on the application's servers (the httpServer option). */
const attachedHubs = new WeakMap<HttpServer, WsHub>();

function formatAddress(scheme: string, host: string, port: number, path: string): string {
  return `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}${path}`;
}

function tlsOf(host: TransportHost): Record<string, unknown> {
  const t = host.options.tls;
  return t === null || t === undefined ? {} : (t as Record<string, unknown>);
}

/** A bound path and the sessions of the peers it accepted. */
class WsListener extends AcceptingListener implements PathListener {
  constructor(
    private readonly hub: WsHub,
    private readonly path: string,
    address: string,
    host: TransportHost,
  ) {
    super(address, host);
  }

  get options() {
    return this.host.options;
  }

  accepted(socket: NetSocket, head: Buffer, protocol: string): void {
    if (!this.open) {
      socket.destroy();
      return;
    }
    const codec = zwsCodec({ server: true, protocol, maxMessageSize: this.host.options.maxMessageSize, wire: socket });
    this.accept(socket, undefined, codec, head);
  }

  protected stopListening(): void {
    this.hub.remove(this.path, this);
  }
}

function bindHost(host: string, ipv6: boolean): string {
  if (host === "*") return ipv6 ? "::" : "0.0.0.0";
  return host;
}

/** A server of our own on the endpoint's address, or the hub already there. */
async function ownedHub(ep: WsEndpoint, host: TransportHost): Promise<{ hub: WsHub; address: string }> {
  const o = host.options;
  const h = bindHost(ep.host, o.ipv6);
  if (ep.port !== "*") {
    const hub = ownedHubs.get(`${ep.transport}|${h}|${ep.port}`);
    if (hub !== undefined) return { hub, address: formatAddress(ep.transport, h, ep.port, ep.path) };
  }
  let server: HttpServer;
  if (ep.transport === "wss") {
    const t = tlsOf(host) as TlsOptions;
    if (t.key === undefined && t.pfx === undefined) throw zmqError("EINVAL", "wss:// bind needs the tls option with a key and cert", ep.address);
    server = createHttpsServer(t);
  } else server = createHttpServer();
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(listenFailure(err, ep.address, host));
    server.once("error", onError);
    server.listen({ host: h, port: ep.port === "*" ? 0 : ep.port, backlog: o.backlog, ipv6Only: false }, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.unref();
  const a = server.address();
  if (a === null || typeof a === "string") {
    server.close();
    throw zmqError("EINVAL", "ws listener has no address", ep.address);
  }
  const address = formatAddress(ep.transport, a.address, a.port, ep.path);
  // as StreamListener: an accept error is an event, not an uncaught 'error'
  server.on("error", (err) => host.emit({ type: "accept:error", address, error: fromSystemError(err, address) }));
  // found again by the address it got and by the one asked for (a host name)
  const keys = [`${ep.transport}|${a.address}|${a.port}`];
  if (h !== a.address) keys.push(`${ep.transport}|${h}|${a.port}`);
  const hub = new WsHub(server, true, () => {
    for (const k of keys) ownedHubs.delete(k);
  });
  for (const k of keys) ownedHubs.set(k, hub);
  return { hub, address };
}

/** The application's server (httpServer option): once it listens, on the endpoint's port or `*`. */
async function attachedHub(ep: WsEndpoint, server: HttpServer): Promise<{ hub: WsHub; address: string }> {
  if (typeof server?.on !== "function" || typeof server.address !== "function") {
    throw zmqError("EINVAL", "httpServer must be a node:http or node:https Server", ep.address);
  }
  if ((server instanceof HttpsServer) !== (ep.transport === "wss")) {
    throw zmqError("EINVAL", `${ep.transport}:// needs an ${ep.transport === "wss" ? "https" : "http"} server as httpServer`, ep.address);
  }
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off("listening", onListening);
        reject(fromSystemError(err, ep.address));
      };
      const onListening = () => {
        server.off("error", onError);
        resolve();
      };
      server.once("listening", onListening);
      server.once("error", onError);
    });
  }
  const a = server.address();
  if (a === null || typeof a === "string") throw zmqError("EINVAL", "httpServer does not listen on a TCP port", ep.address);
  if (ep.port !== "*" && ep.port !== a.port) {
    throw zmqError("EINVAL", `httpServer listens on port ${a.port}, not ${ep.port}`, ep.address);
  }
  let hub = attachedHubs.get(server);
  if (hub === undefined) {
    hub = new WsHub(server, false, () => attachedHubs.delete(server));
    attachedHubs.set(server, hub);
  }
  return { hub, address: formatAddress(ep.transport, ep.host === "*" ? a.address : ep.host, a.port, ep.path) };
}

/** Dials, then upgrades to WebSocket with our subprotocol offer. */
class WsDialer implements StreamDialer {
  constructor(
    private readonly ep: WsEndpoint & { port: number },
    private readonly host: TransportHost,
  ) {}

  dial(): NetSocket {
    const { host, port } = this.ep;
    // as tcp: names resolve to IPv4 unless the ipv6 option is on
    const family = isIP(host) !== 0 ? undefined : this.host.options.ipv6 ? 0 : 4;
    if (this.ep.transport === "ws") return createConnection({ host, port, noDelay: true, family });
    const t = tlsOf(this.host) as ConnectionOptions;
    return tlsConnect({ servername: isIP(host) === 0 ? host : undefined, ...t, host, port, family } as ConnectionOptions);
  }

  upgrade(s: NetSocket): Promise<Upgraded> {
    const o = this.host.options;
    const offers = offeredProtocols(o);
    const hostHeader = isIPv6(this.ep.host) ? `[${this.ep.host}]:${this.ep.port}` : `${this.ep.host}:${this.ep.port}`;
    const { request, key } = upgradeRequest(hostHeader, this.ep.path, offers);
    const response = new UpgradeResponse(key, offers);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        s.off("data", onData);
        if (timer !== undefined) clearTimeout(timer);
      };
      const onData = (chunk: Buffer) => {
        let r: { protocol: string; head: Buffer } | undefined;
        try {
          r = response.feed(chunk);
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (r === undefined) return;
        // nothing may be read between this listener and the engine's
        s.pause();
        done();
        resolve({ codec: zwsCodec({ server: false, protocol: r.protocol, maxMessageSize: o.maxMessageSize, wire: s }), head: r.head });
      };
      s.on("data", onData);
      if (o.handshakeInterval > 0) {
        timer = setTimeout(() => {
          done();
          reject(new ZmqError("ETIMEDOUT", "WebSocket upgrade timed out"));
        }, o.handshakeInterval);
        timer.unref();
      }
      s.write(request);
    });
  }
}

export const wsTransport: Transport = {
  schemes: ["ws", "wss"],

  async bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    if (ep.transport !== "ws" && ep.transport !== "wss") throw zmqError("EINVAL");
    // the hub routes on the path without its query: a bound query never matches
    if (/[?#]/.test(ep.path)) throw zmqError("EINVAL", "a bound ws path cannot have a query or fragment", ep.address);
    const server = host.options.httpServer as HttpServer | null;
    const { hub, address } = server !== null && server !== undefined ? await attachedHub(ep, server) : await ownedHub(ep, host);
    if (hub.has(ep.path)) throw zmqError("EADDRINUSE", `Address already in use: ${ep.path} is bound`, ep.address);
    const l = new WsListener(hub, ep.path, address, host);
    hub.add(ep.path, l);
    return l;
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "ws" && ep.transport !== "wss") throw zmqError("EINVAL");
    if (ep.port === "*") throw zmqError("EINVAL", "connect needs an explicit port", ep.address);
    return connectStream(new WsDialer({ ...ep, port: ep.port }, host), ep.address, host, opts);
  },
};
