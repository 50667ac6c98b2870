// One HTTP(S) server's WebSocket upgrades, routed by path to the omq
// listeners bound there. A hub either owns its server (bind made it; it
// closes with its last path) or is attached to the application's (the
// httpServer option), which keeps serving its own requests: an upgrade for a
// path no omq socket has is left to the server's other 'upgrade' listeners,
// or, when there are none, to its 'request' handlers (as without omq).
import { type IncomingMessage, type Server as HttpServer, ServerResponse } from "node:http";
import type { Socket as NetSocket } from "node:net";
import type { Duplex } from "node:stream";
import type { OptionValues } from "../../lib/core/options.js";
import {
  type UpgradeRefusal, checkUpgradeRequest, chooseProtocol, mechanismName, parseOffer, refusalResponse, switchingProtocols,
} from "./upgrade.js";

/** A bound path: takes the connections upgraded for it. */
export interface PathListener {
  readonly options: OptionValues;
  accepted(socket: NetSocket, head: Buffer, protocol: string): void;
}

/** How long a refused client gets to read its answer before the connection closes. */
const REFUSAL_LINGER_MS = 1_000;

export class WsHub {
  private readonly paths = new Map<string, PathListener>();
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket as NetSocket, head);
  private readonly onRequest = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(426, { "Content-Type": "text/plain", Upgrade: "websocket", Connection: "close" });
    res.end("This is a ZeroMQ WebSocket (ZWS 2.0) endpoint.\n");
  };

  constructor(
    readonly server: HttpServer,
    /** bind() made the server: it answers plain requests and closes with its last path. */
    readonly owned: boolean,
    private readonly onEmpty: () => void,
  ) {
    server.on("upgrade", this.onUpgrade);
    if (owned) server.on("request", this.onRequest);
  }

  has(path: string): boolean {
    return this.paths.has(path);
  }

  add(path: string, l: PathListener): void {
    this.paths.set(path, l);
  }

  remove(path: string, l: PathListener): void {
    if (this.paths.get(path) !== l) return;
    this.paths.delete(path);
    if (this.paths.size > 0) return;
    this.server.off("upgrade", this.onUpgrade);
    this.server.off("request", this.onRequest);
    if (this.owned) {
      this.server.close();
      this.server.closeAllConnections?.();
    }
    this.onEmpty();
  }

  /** Without our listener Node would have served this as an ordinary request
   * (an Upgrade: h2c from curl --http2, or a WebSocket for a path that is the
   * application's): hand it to the application's 'request' handlers. */
  private asRequest(req: IncomingMessage, socket: NetSocket): void {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on("finish", () => {
      res.detachSocket(socket);
      socket.end();
    });
    this.server.emit("request", req, res);
  }

  private upgrade(req: IncomingMessage, socket: NetSocket, head: Buffer): void {
    // http removed its own listeners: an error on this socket must not go unheard
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "/").split("?")[0]!;
    const l = this.paths.get(path);
    if (l === undefined) {
      if (this.owned) refuse(socket, { status: 404, reason: `no ZeroMQ socket is bound at ${path}` });
      else if (this.server.listenerCount("upgrade") === 1) this.asRequest(req, socket);
      return;
    }
    const check = checkUpgradeRequest(req);
    if ("status" in check) {
      refuse(socket, check);
      return;
    }
    const offered = parseOffer(req.headers["sec-websocket-protocol"]);
    const protocol = chooseProtocol(offered, l.options);
    if (protocol === undefined) {
      const what = offered.length === 0 ? "no subprotocol" : `only ${offered.join(", ")}`;
      refuse(socket, { status: 400, reason: `the client offered ${what}; this socket speaks ${chooseHint(l.options)}` });
      return;
    }
    socket.write(switchingProtocols(check.key, protocol));
    l.accepted(socket, head, protocol);
  }
}

function chooseHint(o: OptionValues): string {
  const m = mechanismName(o);
  return m === "NULL" ? "ZWS2.0/NULL or ZWS2.0" : `ZWS2.0/${m}`;
}

function refuse(socket: NetSocket, r: UpgradeRefusal): void {
  socket.end(refusalResponse(r));
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}
