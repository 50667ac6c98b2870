// Hostile input over ws:// (ZWS 2.0, RFC 45, over RFC 6455): a raw node:net
// client performs the HTTP upgrade by hand and writes raw WebSocket frames at
// an omq PULL (or ROUTER). Each case must close that one connection (or have
// the upgrade refused with a 4xx), must not crash the process, must keep
// memory bounded where it says so, and the socket must go on serving an
// honest omq PUSH on the same endpoint afterwards.
import { randomBytes } from "node:crypto";
import { type Socket as NetSocket, connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { Pull, Push, Router } from "../../index.js";
import type { EventRecord as Event } from "../../lib/core/events.js";
import { Waitable, greeting, nextEvent, noiseBytes, property, settled, sleep, useSockets, within } from "../helpers.js";

const TEST_MS = 15_000;
const FLOOD_MS = 30_000;
const MiB = 1024 * 1024;
/** How much memory a bounded attack may leave behind, measured in this
 * process (the raw client's own buffers included): generous on purpose. */
const ARRAY_BUFFER_SLACK = 8 * MiB;
const RSS_SLACK = 64 * MiB;

const sock = useSockets();
const raws: NetSocket[] = [];
afterEach(() => {
  for (const r of raws.splice(0)) r.destroy();
});

// --- memory

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Mem {
  rss: number;
  arrayBuffers: number;
  heapUsed: number;
}

async function mem(): Promise<Mem> {
  for (let i = 0; i < 3; i++) {
    gc();
    await settled();
  }
  const m = process.memoryUsage();
  return { rss: m.rss, arrayBuffers: m.arrayBuffers, heapUsed: m.heapUsed };
}

function expectBounded(before: Mem, after: Mem, what: string): void {
  const grew = { arrayBuffers: after.arrayBuffers - before.arrayBuffers, rss: after.rss - before.rss, heapUsed: after.heapUsed - before.heapUsed };
  expect(grew.arrayBuffers, `${what}: arrayBuffers grew by ${grew.arrayBuffers}`).toBeLessThan(ARRAY_BUFFER_SLACK);
  expect(grew.rss, `${what}: rss grew by ${grew.rss}`).toBeLessThan(RSS_SLACK);
}

// --- RFC 6455 frames, built by hand

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

interface FrameOptions {
  fin?: boolean;
  /** RSV1..3 as bits 0x40, 0x20, 0x10 of the first byte. */
  rsv?: number;
  mask?: boolean;
  key?: Buffer;
  /** The length the header declares, when it is not the payload's. */
  declared?: number | bigint;
}

/** One WebSocket frame; a client's are masked unless mask: false. */
function wsFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), o: FrameOptions = {}): Buffer {
  const p = Buffer.from(typeof payload === "string" ? Buffer.from(payload, "latin1") : payload);
  const masked = o.mask ?? true;
  const len = BigInt(o.declared ?? p.length);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.rsv ?? 0) | opcode];
  const m = masked ? 0x80 : 0;
  let ext: Buffer;
  if (len < 126n) {
    head.push(m | Number(len));
    ext = Buffer.alloc(0);
  } else if (len < 65536n) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, p]);
  const key = o.key ?? randomBytes(4);
  for (let i = 0; i < p.length; i++) p[i] = p[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), ext, key, p]);
}

/** A ZWS message payload: the flags byte (0x00 last, 0x01 more, 0x02 command), then the body. */
function zws(flags: number, body: Buffer | string = ""): Buffer {
  return Buffer.concat([Buffer.of(flags), typeof body === "string" ? Buffer.from(body, "latin1") : body]);
}

/** A binary message in one frame. */
function message(body: Buffer | string, flags = 0x00, o: FrameOptions = {}): Buffer {
  return wsFrame(OP_BINARY, zws(flags, body), o);
}

/** The body of a ZMTP READY command: name length, name, properties. */
function readyBody(socketType: string, identity?: string): Buffer {
  const props = [property("Socket-Type", socketType)];
  if (identity !== undefined) props.push(property("Identity", identity));
  return Buffer.concat([Buffer.of(5), Buffer.from("READY", "latin1"), ...props]);
}

function readyFrame(socketType: string, identity?: string): Buffer {
  return message(readyBody(socketType, identity), 0x02);
}

function closePayload(code: number, reason = ""): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

// --- the upgrade, by hand

interface UpgradeOptions {
  method?: string;
  path?: string;
  /** Sec-WebSocket-Protocol; null: no header. */
  protocol?: string | null;
  version?: string;
  key?: string;
  /** Extra header lines, each without CRLF. */
  extra?: string[];
}

function upgradeRequest(port: number, o: UpgradeOptions = {}): string {
  const lines = [
    `${o.method ?? "GET"} ${o.path ?? "/hostile"} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${o.key ?? randomBytes(16).toString("base64")}`,
    `Sec-WebSocket-Version: ${o.version ?? "13"}`,
  ];
  const protocol = o.protocol === undefined ? "ZWS2.0/NULL" : o.protocol;
  if (protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  lines.push(...(o.extra ?? []));
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** A frame from the server. */
interface ServerFrame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

/** A raw TCP client on the ws port: the HTTP answer, then the server's frames. */
class RawWs extends Waitable {
  /** The HTTP status line, once the answer's header is in. */
  status: string | undefined;
  headers = new Map<string, string>();
  readonly frames: ServerFrame[] = [];
  /** Frames not kept (pongs when countOnly). */
  pongs = 0;
  closed = false;
  ended = false;
  error: Error | undefined;
  /** Server bytes after the HTTP answer that are not a frame we could parse. */
  private buf: Buffer = Buffer.alloc(0);
  private header = true;
  /** Keep only a count of pongs (floods). */
  countPongsOnly = false;

  private constructor(readonly socket: NetSocket) {
    super();
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", (e) => {
      this.error = e;
    });
  }

  /** A TCP connection to the port, nothing written yet. */
  static connect(port: number): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port, noDelay: true });
      raws.push(s);
      s.once("connect", () => resolve(new RawWs(s)));
      s.once("error", reject);
    });
  }

  /** Connect, send the upgrade request, wait for the answer's header (or the close). */
  static async upgrade(port: number, o: UpgradeOptions = {}): Promise<RawWs> {
    const r = await RawWs.connect(port);
    r.socket.write(upgradeRequest(port, o));
    await r.until(() => r.status !== undefined || r.closed, 5000, "the upgrade answer");
    return r;
  }

  get statusCode(): number | undefined {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.status ?? "");
    return m === null ? undefined : Number(m[1]);
  }

  write(...chunks: Buffer[]): boolean {
    if (this.socket.destroyed) return false;
    return this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  private onData(c: Buffer): void {
    this.buf = this.buf.length === 0 ? c : Buffer.concat([this.buf, c]);
    if (this.header) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.buf.length > 64 * 1024) this.socket.destroy();
        return this.wake();
      }
      const lines = this.buf.toString("latin1", 0, end).split("\r\n");
      this.status = lines[0];
      for (const l of lines.slice(1)) {
        const colon = l.indexOf(":");
        if (colon > 0) this.headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
      }
      this.buf = this.buf.subarray(end + 4);
      this.header = false;
      if (this.statusCode !== 101) {
        this.buf = Buffer.alloc(0);
        return this.wake();
      }
    }
    if (this.statusCode !== 101) return this.wake();
    this.parseFrames();
    this.wake();
  }

  private parseFrames(): void {
    let b = this.buf;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (b.length < 2) break;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (masked) off += 4;
      if (b.length < off + len) break;
      const f: ServerFrame = { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, masked, payload: Buffer.from(b.subarray(off, off + len)) };
      if (f.opcode === OP_PONG) this.pongs++;
      if (!(this.countPongsOnly && f.opcode === OP_PONG)) this.frames.push(f);
      b = b.subarray(off + len);
    }
    this.buf = b.length === 0 ? Buffer.alloc(0) : Buffer.from(b);
  }



  untilClosed(ms = 5000): Promise<void> {
    return this.until(() => this.closed, ms, "the connection to close");
  }

  /** The ZWS messages (binary frames, each flags + body) the server sent. */
  zwsMessages(): Array<{ flags: number; body: Buffer }> {
    return this.frames.filter((f) => f.opcode === OP_BINARY).map((f) => ({ flags: f.payload[0]!, body: f.payload.subarray(1) }));
  }

  /** Wait for the server's READY (ZWS2.0/NULL). */
  async serverReady(ms = 5000): Promise<Buffer> {
    await this.until(() => this.zwsMessages().some((m) => m.flags === 0x02) || this.closed, ms, "the server's READY");
    const m = this.zwsMessages().find((x) => x.flags === 0x02);
    if (m === undefined) throw new Error("closed before the server's READY");
    return m.body;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Write `count` pieces (each made by make(i)) as fast as the connection takes
 * them. Stops when the connection closes, or when it stays full for stallMs
 * (back-pressure): returns how many were written and whether it stalled. */
async function pump(r: RawWs, count: number, make: (i: number) => Buffer, stallMs = 2000, from = 0): Promise<{ sent: number; stalled: boolean }> {
  let i = from;
  while (i < count && !r.closed && !r.socket.destroyed) {
    const ok = r.socket.write(make(i));
    i++;
    if (!ok) {
      const drained = await new Promise<boolean>((resolve) => {
        const done = (v: boolean) => {
          clearTimeout(t);
          r.socket.off("drain", onDrain);
          r.socket.off("close", onClose);
          resolve(v);
        };
        const onDrain = () => done(true);
        const onClose = () => done(true);
        const t = setTimeout(() => done(false), stallMs);
        r.socket.once("drain", onDrain);
        r.socket.once("close", onClose);
      });
      if (!drained) return { sent: i, stalled: true };
    }
  }
  return { sent: i, stalled: false };
}

// --- the omq side

interface Target {
  pull: Pull;
  port: number;
  address: string;
  events: Event[];
}

let honestSeq = 0;

/** An event awaited later: a test that fails before awaiting it must not
 * leave an unhandled rejection behind. */
function soon<E>(p: Promise<E>): Promise<E> {
  p.catch(() => {});
  return p;
}

async function boundPull(opts: ConstructorParameters<typeof Pull>[0] = {}): Promise<Target> {
  const pull = sock(new Pull({ linger: 0, receiveTimeout: 5000, ...opts }));
  const events: Event[] = [];
  for (const t of ["accept", "handshake", "handshake:error:protocol", "handshake:error:other", "disconnect"] as const) {
    pull.events.on(t, (e) => events.push(e));
  }
  await pull.bind("ws://127.0.0.1:*/hostile");
  const address = pull.lastEndpoint!;
  const m = /:(\d+)\/hostile$/.exec(address);
  if (m === null) throw new Error(`unexpected endpoint ${address}`);
  return { pull, port: Number(m[1]), address, events };
}

/** An honest omq PUSH over ws, on the same endpoint, gets a message through. */
async function stillServes(t: Target): Promise<void> {
  const push = sock(new Push({ linger: 0, sendTimeout: 5000 }));
  push.connect(t.address);
  const body = `honest-${honestSeq++}`;
  await push.send(body);
  const [got] = await within(t.pull.receive(), 5000, "the honest peer's message");
  expect(got!.toString()).toBe(body);
  push.close();
}

/** Upgrade with ZWS2.0/NULL and finish the READY exchange as a PUSH; resolves
 * once the PULL reports the handshake. */
async function activePeer(t: Target, socketType = "PUSH"): Promise<RawWs> {
  const handshake = soon(nextEvent(t.pull, "handshake", 5000));
  const r = await RawWs.upgrade(t.port);
  expect(r.status).toMatch(/^HTTP\/1\.1 101 /);
  expect(r.headers.get("sec-websocket-protocol")).toBe("ZWS2.0/NULL");
  await r.serverReady();
  r.write(readyFrame(socketType));
  await handshake;
  return r;
}

// ---------------------------------------------------------------------------

describe("controls: the hand-made client speaks ZWS correctly", () => {
  it("a whole message, a fragmented one with a ping between its fragments, and a pong for the ping", async () => {
    const t = await boundPull();
    const r = await activePeer(t);
    r.write(message("whole"));
    r.write(
      wsFrame(OP_BINARY, zws(0x00, "fr"), { fin: false }),
      wsFrame(OP_PING, "in-between"),
      wsFrame(OP_CONT, "ag", { fin: false }),
      wsFrame(OP_CONT, "ment", { fin: true }),
    );
    const [a] = await within(t.pull.receive(), 5000, "the whole message");
    const [b] = await within(t.pull.receive(), 5000, "the fragmented message");
    expect(a!.toString()).toBe("whole");
    expect(b!.toString()).toBe("fragment");
    await r.until(() => r.pongs > 0, 5000, "the pong");
    const pong = r.frames.find((f) => f.opcode === OP_PONG)!;
    expect(pong.masked).toBe(false);
    expect(pong.payload.toString()).toBe("in-between");
    expect(r.closed).toBe(false);
    await stillServes(t);
  }, TEST_MS);

  it("bare ZWS2.0 into a ROUTER: routing ids first, then messages", async () => {
    const router = sock(new Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind("ws://127.0.0.1:*/hostile");
    const port = Number(/:(\d+)\/hostile$/.exec(router.lastEndpoint!)![1]);
    const r = await RawWs.upgrade(port, { protocol: "ZWS2.0" });
    expect(r.headers.get("sec-websocket-protocol")).toBe("ZWS2.0");
    r.write(message("raw-id"), message("part1", 0x01), message("part2"));
    const m = await within(router.receive(), 5000, "the bare peer's message");
    expect(m.map(String)).toEqual(["raw-id", "part1", "part2"]);
  }, TEST_MS);
});

describe("1. upgrade refusals", () => {
  const cases: Array<{ name: string; o: UpgradeOptions; status: number }> = [
    { name: "no Sec-WebSocket-Protocol", o: { protocol: null }, status: 400 },
    { name: "only an unknown subprotocol (chat)", o: { protocol: "chat" }, status: 400 },
    { name: "a wrong Sec-WebSocket-Version (8)", o: { version: "8" }, status: 426 },
    { name: "a bad Sec-WebSocket-Key", o: { key: "not-a-key" }, status: 400 },
    { name: "a non-GET (POST)", o: { method: "POST", extra: ["Content-Length: 0"] }, status: 405 },
    { name: "a path nobody bound", o: { path: "/nobody-here" }, status: 404 },
  ];
  for (const c of cases) {
    it(`${c.name}: HTTP ${c.status}, the connection ends, the socket serves on`, async () => {
      const t = await boundPull();
      const r = await RawWs.upgrade(t.port, c.o);
      expect(r.status).toMatch(new RegExp(`^HTTP/1\\.1 ${c.status} `));
      await r.untilClosed(5000);
      expect(t.events.some((e) => e.type === "accept")).toBe(false);
      await stillServes(t);
    }, TEST_MS);
  }
});

describe("2. bad frames after a good upgrade", () => {
  const cases: Array<{ name: string; bytes: () => Buffer }> = [
    { name: "a text frame (opcode 1)", bytes: () => wsFrame(OP_TEXT, zws(0, "text")) },
    { name: "a frame with RSV1 set", bytes: () => message("x", 0x00, { rsv: 0x40 }) },
    { name: "a frame with RSV3 set", bytes: () => message("x", 0x00, { rsv: 0x10 }) },
    { name: "a ZWS flags byte with reserved bits (0x08)", bytes: () => message("x", 0x08) },
    { name: "a ZWS flags byte of MORE|COMMAND (0x03)", bytes: () => message("x", 0x03) },
    { name: "an unmasked client frame", bytes: () => message("x", 0x00, { mask: false }) },
    { name: "an empty binary message (no flags byte)", bytes: () => wsFrame(OP_BINARY, Buffer.alloc(0)) },
    { name: "a continuation frame with no message open", bytes: () => wsFrame(OP_CONT, zws(0, "x")) },
    { name: "a control frame over 125 bytes (a 126-byte ping)", bytes: () => wsFrame(OP_PING, Buffer.alloc(126, 7)) },
    { name: "a fragmented ping", bytes: () => wsFrame(OP_PING, "ab", { fin: false }) },
    { name: "an unknown opcode (3)", bytes: () => wsFrame(0x3, zws(0, "x")) },
    { name: "a new binary message inside a fragmented one", bytes: () => Buffer.concat([wsFrame(OP_BINARY, zws(0, "a"), { fin: false }), message("b")]) },
    { name: "a 64-bit length with its high bit set", bytes: () => wsFrame(OP_BINARY, zws(0, "x"), { declared: 1n << 63n }) },
  ];
  for (const phase of ["after READY", "before READY"] as const) {
    for (const c of cases) {
      it(`${phase}: ${c.name} closes the connection; the socket serves on`, async () => {
        const t = await boundPull();
        let r: RawWs;
        let gone: Promise<Event>;
        if (phase === "after READY") {
          r = await activePeer(t);
          gone = soon(nextEvent(t.pull, "disconnect", 5000));
        } else {
          gone = soon(nextEvent(t.pull, "handshake:error:protocol", 5000));
          r = await RawWs.upgrade(t.port);
          expect(r.statusCode).toBe(101);
          await r.serverReady();
        }
        r.write(c.bytes());
        await r.untilClosed(5000);
        await gone;
        // nothing from the bad connection was delivered
        t.pull.receiveTimeout = 50;
        await expect(t.pull.receive()).rejects.toMatchObject({ code: "EAGAIN" });
        t.pull.receiveTimeout = 5000;
        await stillServes(t);
      }, TEST_MS);
    }
  }

  it("a close frame with a 1-byte payload closes the connection", async () => {
    const t = await boundPull();
    const r = await activePeer(t);
    r.write(wsFrame(OP_CLOSE, Buffer.of(3)));
    await r.untilClosed(5000);
    await stillServes(t);
  }, TEST_MS);

  it("bare ZWS2.0: a command frame, a multipart routing id, a 256-byte routing id are refused", async () => {
    const router = sock(new Router({ linger: 0, receiveTimeout: 5000 }));
    await router.bind("ws://127.0.0.1:*/hostile");
    const address = router.lastEndpoint!;
    const port = Number(/:(\d+)\/hostile$/.exec(address)![1]);
    for (const bad of [readyFrame("DEALER"), message("id", 0x01), message(Buffer.alloc(256, 0x41))]) {
      const r = await RawWs.upgrade(port, { protocol: "ZWS2.0" });
      expect(r.statusCode).toBe(101);
      r.write(bad);
      await r.untilClosed(5000);
    }
    // an honest bare peer still gets through
    const r = await RawWs.upgrade(port, { protocol: "ZWS2.0" });
    r.write(message("ok-id"), message("hello"));
    const m = await within(router.receive(), 5000, "the honest bare peer's message");
    expect(m.map(String)).toEqual(["ok-id", "hello"]);
  }, TEST_MS);
});

describe("3. messages over maxMessageSize", () => {
  for (const declared of [2n ** 40n, 100_000_000n]) {
    it(`one frame declaring ${declared} bytes, only a few sent: refused at the header`, async () => {
      const t = await boundPull({ maxMessageSize: 1000 });
      const r = await activePeer(t);
      const before = await mem();
      const gone = soon(nextEvent(t.pull, "disconnect", 5000));
      // the header, the flags byte and a few body bytes (masked as the header says)
      const f = wsFrame(OP_BINARY, zws(0x00, "abc"), { declared });
      r.write(f);
      await r.untilClosed(5000);
      expect((await gone).error?.code).toBe("EMSGSIZE");
      expectBounded(before, await mem(), "declared length");
      await stillServes(t);
    }, TEST_MS);
  }

  it("one frame declaring 100 MB, then 32 MiB of body flooded: closed at the header, memory bounded", async () => {
    const t = await boundPull({ maxMessageSize: 1000 });
    const r = await activePeer(t);
    const before = await mem();
    const head = wsFrame(OP_BINARY, zws(0x00, ""), { declared: 100_000_000 });
    r.write(head);
    const piece = Buffer.alloc(256 * 1024, 0x5a);
    await pump(r, 128, () => piece);
    await r.untilClosed(5000);
    expectBounded(before, await mem(), "declared 100 MB + flood");
    await stillServes(t);
  }, FLOOD_MS);

  it("a fragmented message whose fragments add up past the limit is refused", async () => {
    const t = await boundPull({ maxMessageSize: 1000 });
    const r = await activePeer(t);
    const gone = soon(nextEvent(t.pull, "disconnect", 5000));
    const piece = Buffer.alloc(200, 0x42);
    const frames = [wsFrame(OP_BINARY, zws(0x00, piece), { fin: false })];
    for (let i = 0; i < 20; i++) frames.push(wsFrame(OP_CONT, piece, { fin: i === 19 }));
    r.write(Buffer.concat(frames));
    await r.untilClosed(5000);
    expect((await gone).error?.message).toMatch(/exceeds maxMessageSize 1000/);
    t.pull.receiveTimeout = 50;
    await expect(t.pull.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    t.pull.receiveTimeout = 5000;
    await stillServes(t);
  }, TEST_MS);

  it("control: a 2 MB message in 20 000 fragments (maxMessageSize unset) arrives intact", async () => {
    const t = await boundPull();
    const r = await activePeer(t);
    const body = noiseBytes(2_000_000, 45);
    const key = Buffer.from([0x11, 0x22, 0x33, 0x44]);
    const frames = [wsFrame(OP_BINARY, zws(0x00, body.subarray(0, 100)), { fin: false, key })];
    for (let o = 100; o < body.length; o += 100) frames.push(wsFrame(OP_CONT, body.subarray(o, o + 100), { fin: o + 100 >= body.length, key }));
    r.write(Buffer.concat(frames));
    const [m] = await within(t.pull.receive(), 10_000, "the 2 MB fragmented message");
    expect(m!.length).toBe(body.length);
    expect(m!.equals(body)).toBe(true);
    await stillServes(t);
  }, TEST_MS);

  it("control: a fragmented message just under the limit is delivered", async () => {
    const t = await boundPull({ maxMessageSize: 1000 });
    const r = await activePeer(t);
    const piece = Buffer.alloc(100, 0x43);
    const frames = [wsFrame(OP_BINARY, zws(0x00, piece), { fin: false })];
    for (let i = 0; i < 9; i++) frames.push(wsFrame(OP_CONT, piece, { fin: i === 8 }));
    r.write(Buffer.concat(frames));
    const [m] = await within(t.pull.receive(), 5000, "the 1000-byte message");
    expect(m!.length).toBe(1000);
    expect(r.closed).toBe(false);
    await stillServes(t);
  }, TEST_MS);
});

describe("4. floods of tiny frames", () => {
  it("one message in 200 000 one-byte fragments: closed at the fragment cap, memory bounded", async () => {
    const t = await boundPull(); // no maxMessageSize: only the fragment cap applies
    const r = await activePeer(t);
    const gone = soon(nextEvent(t.pull, "disconnect", 20_000));
    const before = await mem();
    const BATCH = 1000;
    const key = Buffer.from([1, 2, 3, 4]);
    // 1000 continuation frames of one byte, FIN clear (the same bytes every time)
    const batch = Buffer.concat(Array.from({ length: BATCH }, () => wsFrame(OP_CONT, "z", { fin: false, key })));
    r.write(wsFrame(OP_BINARY, zws(0x00, ""), { fin: false }));
    const sent = await pump(r, 200, () => batch, 5000);
    await r.untilClosed(15_000);
    expect((await gone).error?.message).toMatch(/more than 100000 fragments/);
    expect(sent.sent * BATCH).toBeGreaterThan(100_000); // the cap was reached, not the end of the input
    expectBounded(before, await mem(), "200 000 fragments");
    await stillServes(t);
  }, FLOOD_MS);

  it("100 000 tiny messages into a PULL (receiveHighWaterMark 10) nobody reads: bounded, then all arrive in order", async () => {
    const t = await boundPull({ receiveHighWaterMark: 10 });
    const r = await activePeer(t);
    const N = 100_000;
    const BATCH = 500;
    const key = Buffer.from([9, 8, 7, 6]);
    // 32-byte bodies (the sequence number, zero-padded): 39 bytes a frame, 3.9 MB in all
    const batchOf = (b: number) => Buffer.concat(Array.from({ length: BATCH }, (_, j) => message(String(b * BATCH + j).padStart(32, "0"), 0x00, { key })));
    const before = await mem();
    // write until the connection pushes back (or all is written)
    const first = await pump(r, N / BATCH, batchOf, 1500);
    await sleep(200);
    const during = await mem();
    expectBounded(before, during, "unread flood");
    // tighter than the general bound: far less than what was written is held
    // (the HWM's 10 messages plus what the engine keeps before pausing the stream)
    expect(during.arrayBuffers - before.arrayBuffers, "unread flood: bytes held").toBeLessThan(2 * MiB);
    expect(r.closed).toBe(false);
    // now read everything while the rest is written
    const rest = first.sent < N / BATCH ? pump(r, N / BATCH, batchOf, 10_000, first.sent) : Promise.resolve(first);
    let next = 0;
    const deadline = Date.now() + 20_000;
    while (next < N && Date.now() < deadline) {
      const [m] = await t.pull.receive();
      const got = Number(m!.toString());
      if (got !== next) throw new Error(`message ${next} expected, ${got} arrived`);
      next++;
    }
    expect(next).toBe(N);
    expect((await rest).sent).toBe(N / BATCH);
    expect(r.closed).toBe(false);
    await stillServes(t);
  }, FLOOD_MS);

  it("50 000 pings from a client that never reads: pongs are not queued without bound", async () => {
    const t = await boundPull();
    const r = await activePeer(t);
    r.countPongsOnly = true;
    r.socket.pause(); // never read: every pong stays with the server or the kernel
    const N = 50_000;
    const BATCH = 500;
    const key = Buffer.from([5, 6, 7, 8]);
    const batch = Buffer.concat(Array.from({ length: BATCH }, () => wsFrame(OP_PING, Buffer.alloc(125, 0x70), { key })));
    const before = await mem();
    const sent = await pump(r, N / BATCH, () => batch, 5000);
    expect(sent.sent).toBe(N / BATCH); // the server kept reading
    await sleep(300);
    expectBounded(before, await mem(), "50 000 pings unread");
    // reading again: some pongs arrive, never more than the pings, and the connection still carries messages
    r.socket.resume();
    r.write(message("after-pings"));
    const [m] = await within(t.pull.receive(), 10_000, "the message after the pings");
    expect(m!.toString()).toBe("after-pings");
    await r.until(() => r.pongs > 0, 5000, "some pongs");
    expect(r.pongs).toBeLessThanOrEqual(N);
    expect(r.closed).toBe(false);
    await stillServes(t);
  }, FLOOD_MS);
});

describe("5. a 1 MB upgrade header", () => {
  it("one huge header line: refused (431 or closed), the socket serves on", async () => {
    const t = await boundPull();
    const r = await RawWs.connect(t.port);
    const before = await mem();
    const request = upgradeRequest(t.port, { extra: [`X-Huge: ${"a".repeat(MiB)}`] });
    await pump(r, 1, () => Buffer.from(request, "latin1"), 5000);
    await r.untilClosed(10_000);
    if (r.status !== undefined) expect(r.statusCode).toBe(431);
    expect(t.events.some((e) => e.type === "accept")).toBe(false);
    expectBounded(before, await mem(), "1 MB header");
    await stillServes(t);
  }, TEST_MS);
});

describe("6. garbage before the upgrade", () => {
  const cases: Array<{ name: string; bytes: () => Buffer }> = [
    { name: "random bytes", bytes: () => randomBytes(4096) },
    { name: "a ZMTP greeting", bytes: () => greeting() },
    { name: "a WebSocket frame with no upgrade", bytes: () => message("x") },
  ];
  for (const c of cases) {
    it(`${c.name}: the connection is closed, the socket serves on`, async () => {
      const t = await boundPull();
      const r = await RawWs.connect(t.port);
      r.write(c.bytes());
      await r.untilClosed(10_000);
      if (r.status !== undefined) expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(t.events.some((e) => e.type === "accept")).toBe(false);
      await stillServes(t);
    }, TEST_MS);
  }
});

describe("7. a close frame from the client", () => {
  for (const payload of [closePayload(1000, "bye"), closePayload(4001), Buffer.alloc(0)]) {
    it(`close ${payload.length === 0 ? "with no status" : payload.readUInt16BE(0)}: answered with a close frame, the connection ends, disconnect, serves on`, async () => {
      const t = await boundPull();
      const r = await activePeer(t);
      const gone = soon(nextEvent(t.pull, "disconnect", 5000));
      r.write(wsFrame(OP_CLOSE, payload));
      await r.until(() => r.frames.some((f) => f.opcode === OP_CLOSE), 5000, "the server's close frame");
      const close = r.frames.find((f) => f.opcode === OP_CLOSE)!;
      expect(close.masked).toBe(false);
      expect(close.fin).toBe(true);
      expect(close.payload.length).toBe(2);
      expect(close.payload.readUInt16BE(0)).toBe(payload.length === 0 ? 1000 : payload.readUInt16BE(0));
      await r.until(() => r.ended || r.closed, 5000, "the server's FIN");
      await r.untilClosed(5000);
      await gone;
      await stillServes(t);
    }, TEST_MS);
  }

  it("frames after the close frame are ignored", async () => {
    const t = await boundPull();
    const r = await activePeer(t);
    r.write(wsFrame(OP_CLOSE, closePayload(1000)), message("after-close"), wsFrame(OP_TEXT, "junk"));
    await r.untilClosed(5000);
    t.pull.receiveTimeout = 100;
    await expect(t.pull.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    t.pull.receiveTimeout = 5000;
    await stillServes(t);
  }, TEST_MS);
});
