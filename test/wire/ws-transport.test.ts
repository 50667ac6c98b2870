// ws:// and wss:// between omq sockets, beyond what the spec suites (which
// run over ws too) cover: every compatible pattern pair over wss, TLS
// verification, large and empty frames, a server restart, several paths on
// one port, an application's own http server, PLAIN and CURVE over ws,
// heartbeats and the handshake timeout against a silent raw peer.
import { createServer as createHttpServer, get as httpGet } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import * as omq from "../../index.js";
import { type Socket } from "../../index.js";
import { collect, drain, eventsSeen, nextEvent, rejectionCode, str, until, useSockets } from "../helpers.js";
import { testCert } from "../support/tls-cert.js";
import { tcpTransport } from "../support/transports.js";

const T = 20_000;
const cert = testCert();
const s = useSockets();
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

type Scheme = "ws" | "wss";
const schemes: Scheme[] = cert === undefined ? ["ws"] : ["ws", "wss"];
/** Options every socket of a scheme needs: the server's key and cert, the client's trust in it. */
function tlsOpts(scheme: Scheme): Record<string, unknown> {
  return scheme === "wss" ? { tls: { key: cert!.key, cert: cert!.cert, ca: cert!.cert } } : {};
}
function make<S extends Socket>(scheme: Scheme, C: new (o?: never) => S, extra: Record<string, unknown> = {}): S {
  return s(new C({ linger: 0, ...tlsOpts(scheme), ...extra } as never));
}

type Any = Socket & { send(m: unknown): Promise<void>; receive(): Promise<Buffer[]>; subscribe?(t?: string): void };
const ctor = (name: string) => (omq as unknown as Record<string, new (o?: never) => Any>)[name]!;
const RECV = new Set(["Pull", "Pair", "Request", "Reply", "Dealer", "Router", "Subscriber", "XSubscriber", "XPublisher"]);

/** Every compatible pair: the first binds. `flow` sends what the pair allows, each way it allows. */
const PAIRS: Array<[string, string, (srv: Any, cli: Any) => Promise<void>]> = [
  ["Push", "Pull", async (srv, cli) => {
    await srv.send(["to", "pull"]);
    expect(str(await cli.receive())).toEqual(["to", "pull"]);
  }],
  ["Pair", "Pair", async (srv, cli) => {
    await cli.send(["a", "b"]);
    expect(str(await srv.receive())).toEqual(["a", "b"]);
    await srv.send(["c", "d"]);
    expect(str(await cli.receive())).toEqual(["c", "d"]);
  }],
  ["Request", "Reply", async (srv, cli) => {
    await srv.send(["q", "1"]);
    expect(str(await cli.receive())).toEqual(["q", "1"]);
    await cli.send(["r", "1"]);
    expect(str(await srv.receive())).toEqual(["r", "1"]);
  }],
  ["Request", "Router", async (srv, cli) => {
    await srv.send(["q", "2"]);
    const [id, empty, ...m] = await cli.receive();
    expect([String(id), empty!.length, ...str(m)]).toEqual(["srv", 0, "q", "2"]);
    await cli.send([id!, "", "r", "2"]);
    expect(str(await srv.receive())).toEqual(["r", "2"]);
  }],
  ["Dealer", "Reply", async (srv, cli) => {
    await srv.send(["", "q", "3"]);
    expect(str(await cli.receive())).toEqual(["q", "3"]);
    await cli.send(["r", "3"]);
    expect(str(await srv.receive())).toEqual(["", "r", "3"]);
  }],
  ["Dealer", "Router", async (srv, cli) => {
    await srv.send(["q", "4"]);
    const [id, ...m] = await cli.receive();
    expect([String(id), ...str(m)]).toEqual(["srv", "q", "4"]);
    await cli.send([id!, "r", "4"]);
    expect(str(await srv.receive())).toEqual(["r", "4"]);
  }],
  ["Dealer", "Dealer", async (srv, cli) => {
    await cli.send(["a", "5"]);
    expect(str(await srv.receive())).toEqual(["a", "5"]);
    await srv.send(["b", "5"]);
    expect(str(await cli.receive())).toEqual(["b", "5"]);
  }],
  ["Router", "Router", async (srv, cli) => {
    // the connecting ROUTER knows the bound one's id once the handshake is done
    await cli.send(["srv", "a", "6"]);
    const [id, ...m] = await srv.receive();
    expect([String(id), ...str(m)]).toEqual(["cli", "a", "6"]);
    await srv.send([id!, "b", "6"]);
    expect(str((await cli.receive()).slice(1))).toEqual(["b", "6"]);
  }],
  ...(["Subscriber", "XSubscriber"] as const).flatMap((sub) =>
    (["Publisher", "XPublisher"] as const).map((pub): [string, string, (srv: Any, cli: Any) => Promise<void>] => [pub, sub, async (srv, cli) => {
      if (sub === "Subscriber") cli.subscribe!("t");
      else await cli.send(Buffer.from("\x01t", "latin1"));
      if (pub === "XPublisher") expect(str(await srv.receive())).toEqual(["\x01t"]);
      await tcpTransport.subscribed(srv, cli);
      await srv.send(["u", "not subscribed"]);
      await srv.send(["t", "7"]);
      expect(str(await cli.receive())).toEqual(["t", "7"]);
    }]),
  ),
];

describe.each(schemes)("%s between omq sockets", (scheme) => {
  test.each(PAIRS)("%s (binds) with %s", async (a, b, flow) => {
    const opts = (name: string, id: string) => ({
      ...(name === "Router" || name === "Dealer" || name === "Request" ? { routingId: id } : {}),
      ...(RECV.has(name) ? { receiveTimeout: 5000 } : {}),
    });
    const server = make(scheme, ctor(a), opts(a, "srv"));
    const client = make(scheme, ctor(b), opts(b, "cli"));
    await server.bind(`${scheme}://127.0.0.1:*/pair`);
    expect(server.lastEndpoint).toMatch(new RegExp(`^${scheme}://127\\.0\\.0\\.1:\\d+/pair$`));
    client.connect(server.lastEndpoint!);
    await eventsSeen(client, "handshake", 1);
    await flow(server, client);
  }, T);

  test("multipart, empty and 20 MB frames, in order", async () => {
    const pull = make(scheme, omq.Pull, { receiveTimeout: 10_000 });
    const push = make(scheme, omq.Push);
    await pull.bind(`${scheme}://127.0.0.1:*/big`);
    push.connect(pull.lastEndpoint!);
    const big = Buffer.alloc(20e6);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    await push.send([Buffer.alloc(0)]);
    await push.send(["a", Buffer.alloc(0), "c"]);
    await push.send([big, "tail"]);
    await push.send("after");
    const [m1, m2, m3, m4] = await collect(pull, 4, 15_000);
    expect(m1!.map((f) => f.length)).toEqual([0]);
    expect(str(m2!)).toEqual(["a", "", "c"]);
    expect(m3![0]!.equals(big)).toBe(true);
    expect(str(m4!)).toEqual(["after"]);
  }, T);

  test("a connecting socket reconnects after the server restarts on the same address", async () => {
    const push = make(scheme, omq.Push, { reconnectInterval: 50 });
    const pull1 = make(scheme, omq.Pull, { receiveTimeout: 10_000 });
    await pull1.bind(`${scheme}://127.0.0.1:*/restart`);
    const addr = pull1.lastEndpoint!;
    push.connect(addr);
    await push.send("first");
    expect(str(await pull1.receive())).toEqual(["first"]);
    pull1.close();
    await eventsSeen(push, "disconnect", 1);
    const pull2 = make(scheme, omq.Pull, { receiveTimeout: 10_000 });
    await pull2.bind(addr);
    await push.send("second");
    expect(str(await pull2.receive())).toEqual(["second"]);
    await eventsSeen(push, "handshake", 2);
  }, T);

  test("PLAIN and CURVE over the scheme, with 64 KiB messages both ways", async () => {
    const ctx = new omq.Context();
    omq.setAuthenticator((req) => ({ allow: req.mechanism !== "PLAIN" || req.password === "pw", userId: "u1" }), ctx);
    const server = make(scheme, omq.Router, { context: ctx, plainServer: true });
    await server.bind(`${scheme}://127.0.0.1:*/plain`);
    const client = make(scheme, omq.Dealer, { plainUsername: "user", plainPassword: "pw" });
    client.connect(server.lastEndpoint!);
    const big = Buffer.alloc(65536, 3);
    await client.send(["p", big]);
    const got = await server.receive();
    const [, p, b] = got;
    expect(String(p)).toBe("p");
    expect(b!.equals(big)).toBe(true);
    // the ZAP user id rides on every message of the connection, as over tcp
    expect(String(omq.messageMetadata(got)?.properties?.get("User-Id"))).toBe("u1");

    const sk = omq.curveKeyPair();
    const ck = omq.curveKeyPair();
    const cs = make(scheme, omq.Router, { curveServer: true, curveSecretKey: sk.secretKey });
    await cs.bind(`${scheme}://127.0.0.1:*/curve`);
    const cc = make(scheme, omq.Dealer, { curveServerKey: sk.publicKey, curvePublicKey: ck.publicKey, curveSecretKey: ck.secretKey });
    cc.connect(cs.lastEndpoint!);
    await cc.send(["c", big]);
    const [cid, c, cb] = await cs.receive();
    expect(String(c)).toBe("c");
    expect(cb!.equals(big)).toBe(true);
    await cs.send([cid!, big]);
    expect((await cc.receive())[0]!.equals(big)).toBe(true);
    expect(cs.securityMechanism).toBe("curve");
  }, T);
});

describe.runIf(cert !== undefined)("wss certificates", () => {
  test("a client that does not trust the server's certificate is refused, one with rejectUnauthorized false connects", async () => {
    const pull = make("wss", omq.Pull, { receiveTimeout: 5000 });
    await pull.bind("wss://127.0.0.1:*/v");
    const untrusting = s(new omq.Push({ linger: 0, reconnectInterval: 50 }));
    untrusting.connect(pull.lastEndpoint!);
    // the TLS handshake fails (self-signed): the connection closes and is retried, nothing is delivered
    await untrusting.send("never delivered"); // queued on the connecting pipe, as libzmq
    await eventsSeen(untrusting, "connect:retry", 2);
    const lax = s(new omq.Push({ linger: 0, tls: { rejectUnauthorized: false } }));
    lax.connect(pull.lastEndpoint!);
    await lax.send("lax");
    expect(str(await pull.receive())).toEqual(["lax"]);
    const trusting = make("wss", omq.Push);
    trusting.connect(pull.lastEndpoint!.replace("127.0.0.1", "localhost"));
    await trusting.send("trusted");
    expect(str(await pull.receive())).toEqual(["trusted"]);
    expect(await drain(pull, 200)).toEqual([]);
  }, T);

  test("wss bind without a key and certificate is EINVAL", async () => {
    const pull = s(new omq.Pull());
    expect(await rejectionCode(pull.bind("wss://127.0.0.1:*/nokey"))).toBe("EINVAL");
  }, T);
});

describe("several paths on one port", () => {
  test("two sockets on two paths of one port; a path bound twice is EADDRINUSE; unbinding one keeps the other", async () => {
    const a = make("ws", omq.Pull, { receiveTimeout: 5000 });
    const b = make("ws", omq.Pull, { receiveTimeout: 5000 });
    await a.bind("ws://127.0.0.1:*/a");
    const port = /:(\d+)\//.exec(a.lastEndpoint!)![1];
    await b.bind(`ws://127.0.0.1:${port}/b`);
    expect(b.lastEndpoint).toBe(`ws://127.0.0.1:${port}/b`);
    const c = make("ws", omq.Pull, { receiveTimeout: 5000 });
    expect(await rejectionCode(c.bind(`ws://127.0.0.1:${port}/a`))).toBe("EADDRINUSE");
    // one socket, a second path on the same port
    await b.bind(`ws://127.0.0.1:${port}/b2`);
    const pa = make("ws", omq.Push);
    const pb = make("ws", omq.Push);
    const pb2 = make("ws", omq.Push);
    pa.connect(`ws://127.0.0.1:${port}/a`);
    pb.connect(`ws://127.0.0.1:${port}/b`);
    pb2.connect(`ws://127.0.0.1:${port}/b2`);
    await pa.send("to a");
    await pb.send("to b");
    await pb2.send("to b2");
    expect(str(await a.receive())).toEqual(["to a"]);
    const gotB = [str(await b.receive())[0], str(await b.receive())[0]].sort();
    expect(gotB).toEqual(["to b", "to b2"]);
    await a.unbind(`ws://127.0.0.1:${port}/a`);
    await pb.send("still b");
    expect(str(await b.receive())).toEqual(["still b"]);
    // an upgrade for the unbound path is refused with 404
    expect(await upgradeStatus(Number(port), "/a")).toBe(404);
    b.close();
    // the last path gone, the port closes
    await expect(upgradeStatus(Number(port), "/b")).rejects.toThrow(/ECONNREFUSED/);
  }, T);
});

describe("binding onto the application's http server (httpServer)", () => {
  test("the server keeps answering its own routes; omq serves its path; unbind leaves the server up", async () => {
    const server = createHttpServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end(`app:${req.url}`);
    });
    closers.push(() => server.close());
    server.listen(0, "127.0.0.1");
    const pull = make("ws", omq.Pull, { httpServer: server });
    await pull.bind("ws://127.0.0.1:*/zmq");
    const port = (server.address() as { port: number }).port;
    expect(pull.lastEndpoint).toBe(`ws://127.0.0.1:${port}/zmq`);
    expect(await httpText(port, "/hello")).toBe("app:/hello");
    const push = make("ws", omq.Push);
    push.connect(pull.lastEndpoint!);
    await push.send("through the app's port");
    expect(str(await pull.receive())).toEqual(["through the app's port"]);
    expect(await httpText(port, "/zmq")).toBe("app:/zmq"); // a plain GET of the path is the app's
    await pull.unbind(pull.lastEndpoint!);
    expect(await httpText(port, "/still")).toBe("app:/still");
    expect(server.listening).toBe(true);
  }, T);

  test("a request with another Upgrade (h2c) or for a path omq does not serve still reaches the app", async () => {
    const server = createHttpServer((req, res) => res.writeHead(200, { "Content-Type": "text/plain" }).end(`app:${req.url}`));
    closers.push(() => server.close());
    server.listen(0, "127.0.0.1");
    const pull = make("ws", omq.Pull, { httpServer: server, receiveTimeout: 5000 });
    await pull.bind("ws://127.0.0.1:*/zmq");
    const port = (server.address() as { port: number }).port;
    // curl --http2 sends Upgrade: h2c; without omq Node hands it to the request handler
    const answer = await rawHttp(port, "GET /page HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    expect(answer.startsWith("HTTP/1.1 200")).toBe(true);
    expect(answer).toContain("app:/page");
    expect(await upgradeStatus(port, "/elsewhere")).toBe(200);
  }, T);

  test("an https server for wss://; the wrong kind of server is EINVAL", async () => {
    const http = createHttpServer();
    closers.push(() => http.close());
    http.listen(0, "127.0.0.1");
    const wrong = s(new omq.Pull({ httpServer: http }));
    expect(await rejectionCode(wrong.bind("wss://127.0.0.1:*/x"))).toBe("EINVAL");
    if (cert === undefined) return;
    const https = createHttpsServer({ key: cert.key, cert: cert.cert });
    closers.push(() => https.close());
    https.listen(0, "127.0.0.1");
    const pull = make("wss", omq.Pull, { httpServer: https });
    await pull.bind("wss://127.0.0.1:*/zmq");
    const push = make("wss", omq.Push);
    push.connect(pull.lastEndpoint!);
    await push.send("over the app's https server");
    expect(str(await pull.receive())).toEqual(["over the app's https server"]);
  }, T);
});

describe("a silent peer", () => {
  test("heartbeats: a peer that answers no PING is disconnected after heartbeatTimeout", async () => {
    const pull = make("ws", omq.Pull, { heartbeatInterval: 100, heartbeatTimeout: 300 });
    await pull.bind("ws://127.0.0.1:*/hb");
    const raw = await rawClient(pull.lastEndpoint!, "ZWS2.0/NULL");
    closers.push(() => raw.socket.destroy());
    // READY as a PUSH, then silence
    raw.socket.write(clientFrame(Buffer.concat([Buffer.of(0x02), readyBody("PUSH")])));
    await eventsSeen(pull, "handshake", 1);
    await nextEvent(pull, "disconnect", 4000);
    // the server did send PINGs (command frames naming PING)
    expect(raw.received().includes(Buffer.from("\x04PING"))).toBe(true);
  }, T);

  test("a socket closing sends its peers a WebSocket close frame (1000) before the FIN", async () => {
    // with a linger the connection ends gracefully (linger 0 drops it at once, as libzmq)
    const pull = make("ws", omq.Pull, { receiveTimeout: 5000, linger: 1000 });
    await pull.bind("ws://127.0.0.1:*/bye");
    const raw = await rawClient(pull.lastEndpoint!, "ZWS2.0/NULL");
    closers.push(() => raw.socket.destroy());
    raw.socket.write(clientFrame(Buffer.concat([Buffer.of(0x02), readyBody("PUSH")])));
    await eventsSeen(pull, "handshake", 1);
    const ended = new Promise<void>((r) => raw.socket.once("end", () => r()));
    pull.close();
    await ended;
    const all = raw.received();
    // unmasked (server to client): FIN|close, length 2, status 1000
    expect(all.subarray(all.length - 4)).toEqual(Buffer.of(0x88, 0x02, 0x03, 0xe8));
  }, T);

  test("a peer that upgrades and then never speaks is dropped after handshakeInterval", async () => {
    const pull = make("ws", omq.Pull, { handshakeInterval: 300 });
    await pull.bind("ws://127.0.0.1:*/hs");
    const raw = await rawClient(pull.lastEndpoint!, "ZWS2.0/NULL");
    closers.push(() => raw.socket.destroy());
    const e = await nextEvent<{ type: string }>(pull, "handshake:error:other", 4000);
    expect(e.type).toBe("handshake:error:other");
    await until(() => raw.socket.destroyed || raw.socket.readableEnded, 3000, "the server closing the connection");
  }, T);
});

describe("bind addresses", () => {
  test("a second path by host name on the port bound by address, and a path with a query is EINVAL", async () => {
    const a = make("ws", omq.Pull, { receiveTimeout: 5000 });
    await a.bind("ws://localhost:*/a");
    const port = /:(\d+)\//.exec(a.lastEndpoint!)![1];
    const b = make("ws", omq.Pull, { receiveTimeout: 5000 });
    await b.bind(`ws://localhost:${port}/b`);
    const push = make("ws", omq.Push);
    push.connect(`ws://127.0.0.1:${port}/b`);
    await push.send("by name");
    expect(str(await b.receive())).toEqual(["by name"]);
    const q = s(new omq.Pull());
    expect(await rejectionCode(q.bind("ws://127.0.0.1:*/x?y=1"))).toBe("EINVAL");
  }, T);
});

describe("options", () => {
  test("tls and httpServer take objects or null; wsNoMechanism a boolean", () => {
    const p = s(new omq.Pull());
    expect(() => ((p as unknown as { tls: unknown }).tls = "cert")).toThrow(TypeError);
    expect(() => ((p as unknown as { httpServer: unknown }).httpServer = 5)).toThrow(TypeError);
    expect(() => ((p as unknown as { wsNoMechanism: unknown }).wsNoMechanism = 1)).toThrow(TypeError);
    p.tls = null;
    expect(p.tls).toBeNull();
  });

  test("a refused upgrade gives the events of a failed handshake, then a retry", async () => {
    const sk = omq.curveKeyPair();
    const server = make("ws", omq.Pull, { curveServer: true, curveSecretKey: sk.secretKey });
    await server.bind("ws://127.0.0.1:*/curve-only");
    const client = make("ws", omq.Push, { reconnectInterval: 50 });
    const seen: string[] = [];
    for (const t of ["connect", "handshake:error:protocol", "disconnect", "close", "connect:retry"] as const) client.events.on(t, () => seen.push(t));
    client.connect(server.lastEndpoint!);
    await until(() => seen.filter((t) => t === "connect:retry").length >= 2, 5000, "two retries");
    // a NULL client's offer is refused (400) by a CURVE server, every time the same way
    expect(seen.slice(0, 4)).toEqual(["connect", "handshake:error:protocol", "disconnect", "connect:retry"]);
    expect(seen).not.toContain("close");
  }, T);

  test("a ws connect with port * is EINVAL", () => {
    const p = s(new omq.Push());
    expect(() => p.connect("ws://127.0.0.1:*/x")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

// --- raw WebSocket client ----------------------------------------------------

interface Raw {
  socket: NetSocket;
  received(): Buffer;
}

/** Upgrade a raw TCP connection to the endpoint with this subprotocol. */
function rawClient(endpoint: string, protocol: string): Promise<Raw> {
  const m = /^ws:\/\/([^:]+):(\d+)(\/.*)$/.exec(endpoint)!;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: m[1], port: Number(m[2]) });
    const chunks: Buffer[] = [];
    let upgraded = false;
    socket.on("error", reject);
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      if (!upgraded && Buffer.concat(chunks).includes("\r\n\r\n")) {
        upgraded = true;
        if (!Buffer.concat(chunks).toString("latin1").startsWith("HTTP/1.1 101")) reject(new Error("upgrade refused"));
        else resolve({ socket, received: () => Buffer.concat(chunks) });
      }
    });
    socket.write(
      `GET ${m[3]} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
    );
  });
}

/** A masked binary frame (payload < 126 bytes). */
function clientFrame(payload: Buffer): Buffer {
  const key = Buffer.of(1, 2, 3, 4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.of(0x82, 0x80 | payload.length), key, body]);
}

function readyBody(type: string): Buffer {
  const name = "Socket-Type";
  const len = Buffer.alloc(4);
  len.writeUInt32BE(type.length);
  return Buffer.concat([Buffer.of(5), Buffer.from("READY"), Buffer.of(name.length), Buffer.from(name), len, Buffer.from(type)]);
}

/** The HTTP status of an upgrade request for path (rejects if nothing listens). */
function upgradeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: "127.0.0.1", port });
    sock.on("error", reject);
    sock.on("data", (c: Buffer) => {
      resolve(Number(c.toString("latin1").slice(9, 12)));
      sock.destroy();
    });
    sock.write(
      `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n",
    );
  });
}

/** Raw bytes to the port; the whole answer once the server ends it. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: "127.0.0.1", port });
    let t = "";
    sock.on("error", reject);
    sock.on("data", (c: Buffer) => (t += c.toString("latin1")));
    sock.on("end", () => resolve(t));
    sock.write(request);
  });
}

function httpText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpGet({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let t = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (t += d));
      res.on("end", () => resolve(t));
    }).on("error", reject);
  });
}

