// ZWS 2.0 (RFC 45) against jszmq 0.1.2 (the jszmq devDependency: a pure-JS
// ZWS client and server). jszmq declares ws 7, but it loads ws through
// isomorphic-ws, which npm hoists to the top level, where it resolves the
// project's ws 8: jszmq runs on ws 8 here (checked in 3.), and
// its ws 7 copy is never loaded. jszmq speaks only the mechanism-less
// subprotocol `ZWS2.0` (first message each way: the routing id; then
// messages; no commands). Cases:
//  1. jszmq client → omq server (omq picks ZWS2.0, the only offer);
//  2. omq client → jszmq server: works with wsNoMechanism (omq offers only
//     ZWS2.0); without it the upgrade is refused (ws 8 rejects the offer
//     `ZWS2.0/NULL, ZWS2.0`: '/' is not a token character), and, were jszmq
//     on ws 7 (which takes the first offer, ZWS2.0/NULL, then jszmq speaks
//     no mechanism anyway), the omq client's NULL handshake would fail;
//  3. jszmq against raw WebSocket frames, checked against RFC 45: a raw
//     node:net client at jszmq's server, and jszmq's client at a raw
//     node:http upgrade handler. Each test names the jszmq source lines
//     (node_modules/jszmq/src/*.ts; the compiled lib/src/*.js runs) that
//     cause what it sees.
import { createHash, randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import { type IncomingMessage, type Server as HttpServer, createServer as createHttpServer } from "node:http";
import { createRequire } from "node:module";
import { type Socket as NetSocket, connect as netConnect } from "node:net";
import * as jszmq from "jszmq";
import { afterEach, describe, expect, test } from "vitest";
import * as omq from "../../index.js";
import type { EventRecord } from "../../lib/core/events.js";
import { freePort, sleep, until, useSockets, within } from "../helpers.js";

const T = 15_000;
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;

const sock = useSockets();

// --- cleanup of what is not an omq socket

interface Closable {
  close(): void;
}
const jsSockets: Closable[] = [];
const rawSockets: NetSocket[] = [];
const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of jsSockets.splice(0)) {
    try {
      s.close();
    } catch {
      // already closed
    }
  }
  for (const r of rawSockets.splice(0)) r.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  })));
});

/** Track a jszmq socket for afterEach. */
function js<S extends Closable>(s: S): S {
  jsSockets.push(s);
  return s;
}


/** Bind a jszmq socket on a free port; its address. Its ws 7 server
 * listens asynchronously: clients connecting at once retry. */
async function jsBind(s: { bind(address: string): void }, path: string): Promise<string> {
  const address = `ws://127.0.0.1:${await freePort()}${path}`;
  s.bind(address);
  return address;
}

const str = (frames: readonly Buffer[]) => frames.map((f) => f.toString("latin1"));
const b = (s: string) => Buffer.from(s, "latin1");

function ramp(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

// --- bounded receiving from a jszmq socket (it only has on('message'))

interface Inbox {
  next(what: string, ms?: number): Promise<Buffer[]>;
  /** Nothing arrives within ms. */
  none(ms: number): Promise<Buffer[] | undefined>;
  readonly queued: Buffer[][];
}

function inbox(s: EventEmitter | { on(e: "message", f: (...frames: Buffer[]) => void): unknown }): Inbox {
  const queued: Buffer[][] = [];
  let wake: (() => void) | undefined;
  (s as EventEmitter).on("message", (...frames: Buffer[]) => {
    queued.push(frames.map((f) => Buffer.from(f)));
    wake?.();
  });
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });
  return {
    queued,
    async next(what, ms = 5000) {
      const end = Date.now() + ms;
      while (queued.length === 0) {
        if (Date.now() >= end) throw new Error(`jszmq: no ${what} within ${ms} ms`);
        await wait(end - Date.now());
      }
      return queued.shift()!;
    },
    async none(ms) {
      if (queued.length === 0) await wait(ms);
      return queued.shift();
    },
  };
}

// --- RFC 6455 frames by hand

interface WsFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** One unfragmented frame; masked as a client's must be. */
function wsFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const len = payload.length;
  const head = [0x80 | opcode];
  const m = masked ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** A ZWS frame: RFC 45's flags byte, then the body, as one binary message. */
function zws(flags: number, body: Buffer | string, masked: boolean): Buffer {
  return wsFrame(OP_BINARY, Buffer.concat([Buffer.from([flags]), typeof body === "string" ? b(body) : body]), masked);
}

/** Parses the WebSocket frames a peer sends on a raw connection. */
class FrameReader {
  private acc = Buffer.alloc(0);
  private readonly frames: WsFrame[] = [];
  private wake: (() => void) | undefined;
  ended = false;

  constructor(private readonly wire: NetSocket) {
    wire.on("data", (c: Buffer) => this.push(c));
    wire.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
    wire.on("error", () => undefined);
  }

  push(chunk: Buffer): void {
    this.acc = Buffer.concat([this.acc, chunk]);
    for (;;) {
      const a = this.acc;
      if (a.length < 2) break;
      let len = a[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (a.length < 4) break;
        len = a.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (a.length < 10) break;
        len = Number(a.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (a[1]! & 0x80) !== 0;
      const keyOff = off;
      if (masked) off += 4;
      if (a.length < off + len) break;
      const payload = Buffer.from(a.subarray(off, off + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= a[keyOff + (i & 3)]!;
      this.frames.push({ fin: (a[0]! & 0x80) !== 0, opcode: a[0]! & 0x0f, masked, payload });
      this.acc = a.subarray(off + len);
    }
    this.wake?.();
  }

  /** The next frame within ms. */
  async next(what: string, ms = 5000): Promise<WsFrame> {
    const end = Date.now() + ms;
    while (this.frames.length === 0) {
      if (this.ended) throw new Error(`raw peer: connection closed before ${what}`);
      if (Date.now() >= end) throw new Error(`raw peer: no ${what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, end - Date.now());
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
    return this.frames.shift()!;
  }

  /** Frames that arrive within ms, without waiting for more. */
  async within(ms: number): Promise<WsFrame[]> {
    await sleep(ms);
    return this.frames.splice(0);
  }
}

/** A ZWS frame's flags byte and body, after checking it is one final binary message. */
function zwsOf(f: WsFrame): { flags: number; body: string } {
  expect(f.fin, "every ZWS frame is one unfragmented WebSocket message").toBe(true);
  expect(f.opcode, "ZWS messages are binary").toBe(OP_BINARY);
  return { flags: f.payload[0]!, body: f.payload.subarray(1).toString("latin1") };
}

interface RawClient {
  status: number;
  headers: Map<string, string>;
  reader: FrameReader;
  /** Send a ZWS frame, masked (as a client must). */
  send(flags: number, body: Buffer | string): void;
  write(frame: Buffer): void;
}

/** A raw client: the HTTP upgrade by hand (so any offer can be made, even
 * `ZWS2.0/NULL`, which the ws 8 client refuses to send), then raw frames. */
function rawClient(port: number, path: string, protocols: string | undefined): Promise<RawClient> {
  return within(
    new Promise<RawClient>((resolve, reject) => {
      const wire = netConnect({ host: "127.0.0.1", port });
      rawSockets.push(wire);
      const key = randomBytes(16).toString("base64");
      let acc = Buffer.alloc(0);
      const onData = (c: Buffer) => {
        acc = Buffer.concat([acc, c]);
        const end = acc.indexOf("\r\n\r\n");
        if (end < 0) return;
        wire.off("data", onData);
        const lines = acc.toString("latin1", 0, end).split("\r\n");
        const headers = new Map<string, string>();
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
        }
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
        if (status === 101) {
          expect(headers.get("sec-websocket-accept")).toBe(createHash("sha1").update(key + WS_GUID).digest("base64"));
        }
        const reader = new FrameReader(wire);
        reader.push(acc.subarray(end + 4));
        resolve({
          status,
          headers,
          reader,
          send: (flags, body) => wire.write(zws(flags, body, true)),
          write: (frame) => wire.write(frame),
        });
      };
      wire.on("data", onData);
      wire.once("error", reject);
      wire.once("connect", () => {
        wire.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
            (protocols === undefined ? "" : `Sec-WebSocket-Protocol: ${protocols}\r\n`) +
            "\r\n",
        );
      });
    }),
    5000,
    "the raw client's upgrade",
  );
}

/** Connect a raw client to a jszmq server that may not listen yet (its ws 7
 * server starts listening asynchronously). */
async function rawClientRetry(port: number, path: string, protocols: string | undefined): Promise<RawClient> {
  const end = Date.now() + 5000;
  for (;;) {
    try {
      return await rawClient(port, path, protocols);
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(20);
    }
  }
}

interface RawServerConn {
  req: IncomingMessage;
  reader: FrameReader;
  /** Send a ZWS frame, unmasked (as a server must). */
  send(flags: number, body: Buffer | string): void;
}

/** A raw WebSocket server (node:http's upgrade event, answered by hand):
 * `pick` chooses the subprotocol to answer with from the offer. */
async function rawServer(pick: (offer: string | undefined) => string | undefined = () => "ZWS2.0") {
  const server = createHttpServer();
  servers.push(server);
  const conns: RawServerConn[] = [];
  let upgrades = 0;
  server.on("upgrade", (req: IncomingMessage, wire: NetSocket, head: Buffer) => {
    upgrades++;
    rawSockets.push(wire);
    const accept = createHash("sha1").update(String(req.headers["sec-websocket-key"]) + WS_GUID).digest("base64");
    const protocol = pick(req.headers["sec-websocket-protocol"] as string | undefined);
    wire.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\n` +
        (protocol === undefined ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
        "\r\n",
    );
    const reader = new FrameReader(wire);
    if (head.length > 0) reader.push(head);
    conns.push({ req, reader, send: (flags, body) => wire.write(zws(flags, body, false)) });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: (path: string) => `ws://127.0.0.1:${port}${path}`,
    get upgrades() {
      return upgrades;
    },
    async conn(i = 0): Promise<RawServerConn> {
      await until(() => conns.length > i, 5000, `upgrade #${i + 1} at the raw server`);
      return conns[i]!;
    },
  };
}

/** A jszmq socket's connection objects (private in jszmq: socketBase.ts:12). */
function jsEndpoints(s: object): EventEmitter[] {
  return (s as { endpoints: EventEmitter[] }).endpoints;
}

interface JsEndpoint {
  socket: EventEmitter | undefined;
  connect: () => void;
}
const guarded = new WeakSet<object>();

/** jszmq sets no error handler on its client WebSocket (webSocketEndpoint.ts:56-60),
 * so every failed connection (refused, a subprotocol ws rejects, close()
 * while connecting, webSocketEndpoint.ts:130-131) is an uncaught 'error'
 * that would crash the test process. Call after each connect(): collects
 * those errors instead, for this connection and its reconnections (jszmq
 * reconnects through the endpoint's own `connect` property, :89). */
function guardClient(s: object, errors: Error[] = []): Error[] {
  for (const ep of jsEndpoints(s) as unknown as JsEndpoint[]) {
    if (guarded.has(ep)) continue;
    guarded.add(ep);
    const seen = new WeakSet<object>();
    const watch = () => {
      const w = ep.socket;
      if (w === undefined || seen.has(w)) return;
      seen.add(w);
      w.on("error", (e: Error) => errors.push(e));
    };
    watch();
    const connect = ep.connect;
    ep.connect = () => {
      connect();
      watch();
    };
  }
  return errors;
}

/** The version of the ws package jszmq's WebSocket comes from. */
function wsVersionUnderJszmq(): string {
  const fromHere = createRequire(import.meta.url);
  const iso = createRequire(fromHere.resolve("jszmq")).resolve("isomorphic-ws");
  return (createRequire(iso)("ws/package.json") as { version: string }).version;
}

// ---------------------------------------------------------------------------

describe("1. jszmq client → omq server", () => {
  test("jszmq DEALER → omq ROUTER: routing id, multipart both ways, an empty frame, a 1 MiB frame", async () => {
    const router = sock(new omq.Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind("ws://127.0.0.1:*/x");
    const dealer = js(new jszmq.Dealer());
    dealer.options.routingId = "JZ";
    const got = inbox(dealer);
    dealer.connect(router.lastEndpoint!);
    guardClient(dealer);

    dealer.send(["hello", "multi", "part"]);
    const [id, ...req] = await router.receive();
    expect(String(id)).toBe("JZ");
    expect(str(req)).toEqual(["hello", "multi", "part"]);

    const big = ramp(1 << 20);
    dealer.send([Buffer.alloc(0), "mid", Buffer.from(big)]);
    const [id2, empty, mid, big2] = await router.receive();
    expect(String(id2)).toBe("JZ");
    expect(empty!.length).toBe(0);
    expect(String(mid)).toBe("mid");
    expect(big2!.equals(big)).toBe(true);

    await router.send([id!, "reply", "two"]);
    expect(str(await got.next("the reply"))).toEqual(["reply", "two"]);
    await router.send([id!, Buffer.alloc(0), Buffer.from(big), "end"]);
    const [e, bb, end] = await got.next("the 1 MiB reply");
    expect(e!.length).toBe(0);
    expect(bb!.equals(big)).toBe(true);
    expect(String(end)).toBe("end");
  }, T);

  test("jszmq SUB → omq PUB: the PUB sends only subscribed topics; unsubscribe stops them", async () => {
    const pub = sock(new omq.Publisher({ linger: 0 }));
    await pub.bind("ws://127.0.0.1:*/x");
    const sub = js(new jszmq.Sub());
    sub.subscribe("weather");
    const got = inbox(sub);
    sub.connect(pub.lastEndpoint!);
    guardClient(sub);
    // jszmq's SUB filters again on receipt (xsub.ts:33-36), which would
    // hide a PUB that does not filter: record what arrives on the wire, from
    // jszmq's connection object, before its filter
    const wire: string[][] = [];
    jsEndpoints(sub)[0]!.on("message", (_ep: unknown, ...frames: Buffer[]) => wire.push(str(frames)));

    // no acknowledgement of a subscription exists: publish until it takes
    let first: Buffer[] | undefined;
    for (let i = 0; i < 100 && first === undefined; i++) {
      await pub.send(["sports", "x"]);
      await pub.send(["weather", `w${i}`]);
      first = await got.none(50);
    }
    expect(first && String(first[0])).toBe("weather");
    await pub.send(["sports", "no"]);
    await pub.send(["weather", "last"]);
    for (;;) {
      const m = str(await got.next("the weather messages"));
      expect(m[0]).toBe("weather");
      if (m[1] === "last") break;
    }
    expect(wire.filter((m) => m[0] === "sports")).toEqual([]);

    // unsubscribe, then a marker subscription: once the marker arrives the
    // PUB has the cancel too (same connection, in order)
    sub.unsubscribe("weather");
    sub.subscribe("zzz");
    let marker: Buffer[] | undefined;
    for (let i = 0; i < 100 && marker === undefined; i++) {
      await pub.send(["zzz", `m${i}`]);
      marker = await got.none(50);
      if (marker !== undefined && String(marker[0]) !== "zzz") marker = undefined; // a straggling weather
    }
    expect(marker && String(marker[0])).toBe("zzz");
    const seen = wire.length;
    await pub.send(["weather", "after unsubscribe"]);
    await pub.send(["zzz", "end"]);
    for (;;) {
      const m = str(await got.next("the marker"));
      expect(m[0]).toBe("zzz");
      if (m[1] === "end") break;
    }
    expect(wire.slice(seen).filter((m) => m[0] === "weather")).toEqual([]);
  }, T);
});

describe("2. omq client → jszmq server", () => {
  test("omq DEALER (wsNoMechanism) → jszmq ROUTER: multipart, empty and 1 MiB frames both ways", async () => {
    const router = js(new jszmq.Router());
    const got = inbox(router);
    const address = await jsBind(router, "/y");
    const dealer = sock(new omq.Dealer({ linger: 0, receiveTimeout: 5000, wsNoMechanism: true, routingId: "OMQ" }));
    dealer.connect(address);

    await dealer.send(["hello", "multi", "part"]);
    const [key, ...req] = await got.next("the dealer's request");
    // jszmq's ROUTER prefixes a peer's routing id with a 0x00 byte
    // (router.ts:31-32): the application sees "\0OMQ", not "OMQ"
    expect(key!.equals(Buffer.from("\0OMQ", "latin1"))).toBe(true);
    expect(str(req)).toEqual(["hello", "multi", "part"]);

    const big = ramp(1 << 20);
    await dealer.send([Buffer.alloc(0), Buffer.from(big)]);
    const [, e, bb] = await got.next("the 1 MiB request");
    expect(e!.length).toBe(0);
    expect(bb!.equals(big)).toBe(true);

    router.send([key!, "reply", Buffer.alloc(0), Buffer.from(big)]);
    const [r, e2, b2] = await dealer.receive();
    expect(String(r)).toBe("reply");
    expect(e2!.length).toBe(0);
    expect(b2!.equals(big)).toBe(true);
  }, T);

  test("jszmq PUB → omq SUB (wsNoMechanism): only subscribed topics arrive, unsubscribe stops them", async () => {
    const pub = js(new jszmq.Pub());
    const address = await jsBind(pub, "/y");
    const sub = sock(new omq.Subscriber({ linger: 0, wsNoMechanism: true }));
    sub.subscribe("weather");
    sub.connect(address);
    // end to end only: after its first match jszmq's PUB sends everything
    // (see "jszmq PUB server" in 3.); omq's SUB filters what it receives too

    sub.receiveTimeout = 50;
    let first: Buffer[] | undefined;
    for (let i = 0; i < 100 && first === undefined; i++) {
      pub.send(["sports", "x"]);
      pub.send(["weather", `w${i}`]);
      first = await sub.receive().catch(() => undefined);
    }
    sub.receiveTimeout = 5000;
    expect(first && String(first[0])).toBe("weather");
    pub.send(["sports", "no"]);
    pub.send(["weather", "last"]);
    for (;;) {
      const m = str(await sub.receive());
      expect(m[0]).toBe("weather");
      if (m[1] === "last") break;
    }

    sub.unsubscribe("weather");
    sub.subscribe("zzz");
    sub.receiveTimeout = 50;
    let marker: Buffer[] | undefined;
    for (let i = 0; i < 100 && marker === undefined; i++) {
      pub.send(["zzz", `m${i}`]);
      marker = await sub.receive().catch(() => undefined);
    }
    sub.receiveTimeout = 5000;
    expect(marker && String(marker[0])).toBe("zzz");
    pub.send(["weather", "after unsubscribe"]);
    pub.send(["zzz", "end"]);
    for (;;) {
      const m = str(await sub.receive());
      expect(m[0]).toBe("zzz");
      if (m[1] === "end") break;
    }
  }, T);

  test("omq DEALER without wsNoMechanism → jszmq ROUTER fails: the upgrade is refused (400), handshake:error:protocol, nothing delivered", async () => {
    const router = js(new jszmq.Router());
    const got = inbox(router);
    const address = await jsBind(router, "/y");
    const dealer = sock(new omq.Dealer({ linger: 0, routingId: "OMQ", reconnectInterval: 100 }));
    const errors: EventRecord[] = [];
    const handshakes: EventRecord[] = [];
    dealer.events.on("handshake:error:protocol", (e) => errors.push(e));
    dealer.events.on("handshake", (e) => handshakes.push(e));
    dealer.connect(address);
    await dealer.send("never delivered");

    // omq offers `ZWS2.0/NULL, ZWS2.0`; ws 8 (jszmq's server here) refuses
    // the whole header ('/' is no token character, websocket-server.js:288-293)
    // before jszmq sees it; each attempt fails the same way, omq retries
    await until(() => errors.length >= 2, 8000, "two handshake:error:protocol events on the omq DEALER");
    expect(errors[0]!.address).toBe(address);
    expect(errors[0]!.error?.code).toBe("ECONNREFUSED");
    expect(errors[0]!.error?.message).toMatch(/WebSocket upgrade refused: 400/);
    expect(handshakes).toEqual([]);
    expect(await got.none(300)).toBeUndefined();
  }, T);

  test("were jszmq on ws 7 (first offer taken: ZWS2.0/NULL, then jszmq's routing id, no READY), the omq DEALER's NULL handshake fails", async () => {
    // a raw server doing what jszmq does on ws 7 (websocket-server.js:325-341
    // of its ws 7.5.14: protocol[0]; webSocketEndpoint.ts:47: send the routing id)
    const srv = await rawServer((offer) => offer?.split(",")[0]!.trim());
    const dealer = sock(new omq.Dealer({ linger: 0, routingId: "OMQ", reconnectInterval: 100 }));
    const errors: EventRecord[] = [];
    const handshakes: EventRecord[] = [];
    dealer.events.on("handshake:error:protocol", (e) => errors.push(e));
    dealer.events.on("handshake", (e) => handshakes.push(e));
    dealer.connect(srv.address("/y"));
    await dealer.send("never delivered");
    const c = await srv.conn();
    expect(c.req.headers["sec-websocket-protocol"]).toBe("ZWS2.0/NULL, ZWS2.0");
    // a NULL client waits for the server's READY before its own (lib/zws/codec.ts:58-72)
    expect(await c.reader.within(200)).toEqual([]);
    c.send(0x00, ""); // a jszmq ROUTER's routing id (empty), where READY should be
    await until(() => errors.length >= 1, 5000, "handshake:error:protocol on the omq DEALER");
    expect(errors[0]!.error?.code).toBe("ERR_ZMTP_UNEXPECTED_COMMAND");
    expect(handshakes).toEqual([]);
    // the server's first frame starts omq's side of the handshake (its READY,
    // flags 0x02), then fails it; the message is never sent
    const sent = (await c.reader.within(100)).filter((f) => f.opcode === OP_BINARY).map(zwsOf);
    expect(sent.map((f) => f.flags)).toEqual([0x02]);
    expect(sent[0]!.body).toMatch(/^\x05READY/);
  }, T);
});

describe("3. jszmq against RFC 45, with raw WebSocket frames", () => {
  test("jszmq runs on the project's ws 8 (isomorphic-ws resolves the hoisted ws), not the ws 7 it declares", () => {
    expect(wsVersionUnderJszmq()).toMatch(/^8\./);
  });

  test("jszmq server: takes the first offered subprotocol, supported or not (RFC 45: choose a supported one, else close)", async () => {
    // webSocketListener.ts:92-95 gives ws's server no handleProtocols, so ws
    // (8: websocket-server.js:406-409; 7: :325-341) answers with the first offer
    const router = js(new jszmq.Router());
    router.options.routingId = "JR";
    const port = Number(new URL(await jsBind(router, "/r")).port);

    // a protocol ZWS does not define, ahead of ZWS2.0: taken and echoed
    const c1 = await rawClientRetry(port, "/r", "chat, ZWS2.0");
    expect(c1.status).toBe(101);
    expect(c1.headers.get("sec-websocket-protocol")).toBe("chat");
    // then jszmq speaks ZWS2.0 anyway: its routing id as the first message (webSocketEndpoint.ts:47)
    expect(zwsOf(await c1.reader.next("jszmq's first frame"))).toEqual({ flags: 0x00, body: "JR" });

    // no subprotocol at all (RFC 45: the request MUST include one): accepted too
    const c2 = await rawClient(port, "/r", undefined);
    expect(c2.status).toBe(101);
    expect(c2.headers.has("sec-websocket-protocol")).toBe(false);
    expect(zwsOf(await c2.reader.next("jszmq's first frame"))).toEqual({ flags: 0x00, body: "JR" });

    // libzmq's (and omq's default) offer: ws 8 refuses the header ('/' is
    // not a token character, websocket-server.js:288-293), so no libzmq
    // client can reach a jszmq server (on ws 7 it would get ZWS2.0/NULL and
    // then this same routing id where READY belongs)
    const c3 = await rawClient(port, "/r", "ZWS2.0/NULL, ZWS2.0");
    expect(c3.status).toBe(400);
  }, T);

  test("jszmq ROUTER server over ZWS2.0: frames as RFC 45 says; a command frame (0x02) is delivered as a message", async () => {
    const router = js(new jszmq.Router());
    router.options.routingId = "JR";
    const got = inbox(router);
    const port = Number(new URL(await jsBind(router, "/r")).port);
    const c = await rawClientRetry(port, "/r", "ZWS2.0");
    expect(c.headers.get("sec-websocket-protocol")).toBe("ZWS2.0");

    // conforming: the server's first message is its routing id, one final
    // frame, an unmasked binary message
    const first = await c.reader.next("jszmq's routing id");
    expect(first.masked).toBe(false);
    expect(zwsOf(first)).toEqual({ flags: 0x00, body: "JR" });

    c.send(0x00, "RAW"); // our routing id
    c.send(0x01, "a");
    c.send(0x00, "b");
    const [key, ...m] = await got.next("the raw client's message");
    expect(key!.toString("latin1")).toBe("\0RAW"); // router.ts:31-32
    expect(str(m)).toEqual(["a", "b"]);

    // conforming: each frame its own unmasked binary message, MORE on all but the last
    router.send([key!, "x", "y"]);
    const x = await c.reader.next("the reply's first frame");
    const y = await c.reader.next("the reply's last frame");
    expect([x.masked, y.masked]).toEqual([false, false]);
    expect([zwsOf(x), zwsOf(y)]).toEqual([{ flags: 0x01, body: "x" }, { flags: 0x00, body: "y" }]);

    // deviation: the no-mechanism protocol has no commands, but jszmq reads
    // any flags byte other than exactly 0x01 as "last frame" and delivers
    // the body (webSocketEndpoint.ts:108-116): a command frame becomes a
    // message, MORE|COMMAND (0x03) ends a message, and nothing is refused
    c.send(0x02, "\x04PING\x00\x00");
    expect(str((await got.next("the command frame")).slice(1))).toEqual(["\x04PING\x00\x00"]);
    c.send(0x03, "p");
    c.send(0x00, "q");
    expect(str((await got.next("the 0x03 frame")).slice(1))).toEqual(["p"]);
    expect(str((await got.next("the frame after it")).slice(1))).toEqual(["q"]);

    // conforming (RFC 45: opcode must be binary): a text message closes the connection
    c.write(wsFrame(OP_TEXT, b("text"), true));
    const close = await c.reader.next("jszmq's close frame");
    expect(close.opcode).toBe(OP_CLOSE);
  }, T);

  test("jszmq server: no 'error' listener on an accepted WebSocket, so a malformed frame from a client would be an uncaught exception", async () => {
    const router = js(new jszmq.Router());
    const port = Number(new URL(await jsBind(router, "/r")).port);
    const c = await rawClientRetry(port, "/r", "ZWS2.0");
    await c.reader.next("jszmq's routing id");
    // webSocketEndpoint.ts:39-47 sets onclose and onmessage only
    const wss = (router as unknown as { binds: Array<{ server: { clients: Set<EventEmitter> } }> }).binds[0]!.server;
    await until(() => wss.clients.size === 1, 2000, "jszmq's accepted WebSocket");
    const accepted = [...wss.clients][0]!;
    expect(accepted.listenerCount("error")).toBe(0);
    // ours, so the test survives: an unmasked client frame (RFC 6455 §5.1)
    const errors: Error[] = [];
    accepted.on("error", (e: Error) => errors.push(e));
    c.write(wsFrame(OP_BINARY, b("\x00RAW"), false));
    await until(() => errors.length > 0, 2000, "ws's error on jszmq's accepted socket");
    expect(errors[0]!.message).toMatch(/MASK must be set/);
  }, T);

  test("jszmq PUB server: \\x01topic subscriptions filter only until the first match, then every message goes out; a text first message passes as the routing id", async () => {
    const pub = js(new jszmq.Pub());
    const port = Number(new URL(await jsBind(pub, "/p")).port);
    const c = await rawClientRetry(port, "/p", "ZWS2.0");
    expect(zwsOf(await c.reader.next("jszmq's routing id"))).toEqual({ flags: 0x00, body: "" });

    // deviation: the first message is dropped as the routing id before its
    // opcode or flags are looked at (webSocketEndpoint.ts:98-103; the check
    // that closes on text is at :105-123): a text frame passes here
    c.write(wsFrame(OP_TEXT, b("not a routing id"), true));
    // RFC 45 Publish-Subscribe: a subscription is a message 0x01 + topic
    c.send(0x00, "\x01weather");
    const data: Array<{ flags: number; body: string }> = [];
    for (let i = 0; i < 100 && !data.some((d) => d.body === "weather"); i++) {
      pub.send(["sports", "x"]);
      pub.send(["weather", `w${i}`]);
      for (const f of await c.reader.within(30)) data.push(zwsOf(f));
    }
    // until the first match, the filter holds; a two-frame message is MORE, then last
    const i = data.findIndex((d) => d.body === "weather");
    expect(i).toBeGreaterThanOrEqual(0);
    expect(data.filter((d) => d.body === "sports")).toEqual([]);
    expect([data[i]!.flags, data[i + 1]!.flags]).toEqual([0x01, 0x00]);

    // deviation: XPub.xsend marks the matching peers and sends
    // (xpub.ts:47-48) but never calls distribution.unmatch() (libzmq's
    // xpub resets the matching set after each message), so a peer that
    // matched once gets every later message, subscribed or not, and even
    // after it cancels
    pub.send(["sports", "leak"]);
    c.send(0x00, "\x00weather");
    await sleep(100);
    pub.send(["weather", "after cancel"]);
    pub.send(["end", "end"]);
    const after: string[] = [];
    for (let k = 0; k < 50 && !after.includes("end"); k++) for (const f of await c.reader.within(30)) after.push(zwsOf(f).body);
    expect(after).toEqual(["sports", "leak", "weather", "after cancel", "end", "end"]);
  }, T);

  test("jszmq client: offers ZWS2.0, sends its routing id first, masks, one message per frame, subscribes with \\x01topic", async () => {
    const srv = await rawServer((offer) => (offer === "ZWS2.0" ? "ZWS2.0" : undefined));
    const dealer = js(new jszmq.Dealer());
    dealer.options.routingId = "JZ";
    dealer.connect(srv.address("/d"));
    guardClient(dealer);
    dealer.send(["a", "b"]);
    const c = await srv.conn();
    expect(c.req.url).toBe("/d");
    expect(c.req.headers["sec-websocket-protocol"]).toBe("ZWS2.0"); // webSocketEndpoint.ts:56
    expect(c.req.headers["sec-websocket-version"]).toBe("13");
    const id = await c.reader.next("jszmq's routing id");
    expect(id.masked).toBe(true);
    expect(zwsOf(id)).toEqual({ flags: 0x00, body: "JZ" }); // webSocketEndpoint.ts:67
    const fa = await c.reader.next("the first frame");
    const fb = await c.reader.next("the last frame");
    expect([fa.masked, fb.masked]).toEqual([true, true]);
    expect([zwsOf(fa), zwsOf(fb)]).toEqual([{ flags: 0x01, body: "a" }, { flags: 0x00, body: "b" }]);

    const sub = js(new jszmq.Sub());
    sub.connect(srv.address("/s"));
    guardClient(sub);
    sub.subscribe("topic");
    const s = await srv.conn(1);
    expect(zwsOf(await s.reader.next("the SUB's routing id"))).toEqual({ flags: 0x00, body: "" });
    // sub.ts:9 and xsub.ts:45-47: a data message 0x01 + topic (RFC 45 Publish-Subscribe)
    expect(zwsOf(await s.reader.next("the subscription"))).toEqual({ flags: 0x00, body: "\x01topic" });
    sub.unsubscribe("topic");
    expect(zwsOf(await s.reader.next("the cancel"))).toEqual({ flags: 0x00, body: "\x00topic" });
  }, T);

  test("jszmq client: a command frame (0x02) from the server is delivered as a message", async () => {
    const srv = await rawServer();
    const dealer = js(new jszmq.Dealer());
    const got = inbox(dealer);
    dealer.connect(srv.address("/d"));
    guardClient(dealer);
    const c = await srv.conn();
    await c.reader.next("jszmq's routing id");
    c.send(0x00, "SRV"); // our routing id: dropped by jszmq's DEALER (webSocketEndpoint.ts:98-103)
    c.send(0x02, "\x04PING\x00\x00"); // no commands in the no-mechanism protocol
    c.send(0x00, "hello");
    expect(str(await got.next("the command frame"))).toEqual(["\x04PING\x00\x00"]); // webSocketEndpoint.ts:108-116
    expect(str(await got.next("hello"))).toEqual(["hello"]);
  }, T);

  test("jszmq client: refuses a subprotocol it did not offer (conforming; ws checks it) and keeps retrying", async () => {
    const srv = await rawServer(() => "ZWS2.0/NULL");
    const dealer = js(new jszmq.Dealer());
    dealer.connect(srv.address("/d"));
    const errors = guardClient(dealer);
    const c = await srv.conn();
    // ws aborts the handshake (ws 8 websocket.js:1007-1022; ws 7 :839-851):
    // no frame is sent; jszmq reconnects after 100 ms (webSocketEndpoint.ts:89,
    // socketOptions.ts:5). Unguarded, each abort is an uncaught exception.
    expect(await c.reader.within(300)).toEqual([]);
    await until(() => srv.upgrades >= 2, 5000, "a second upgrade attempt");
    expect(errors.map((e) => e.message)).toContain("Server sent an invalid subprotocol");
  }, T);
});
