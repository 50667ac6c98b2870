// The seams the security, ws and thread work plug into, exercised with
// stand-ins written here: a mechanism that transforms every frame (as CURVE
// will), one that reports a User-Id, metadata riding through pipes and
// patterns, and the engine behind its interface over a real tcp pair.
import { type Socket as NetSocket, connect, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import "../../index.js"; // registers the socket types
import type { Msg } from "../../lib/core/message.js";
import { messageMetadata } from "../../lib/core/message.js";
import { type PipeEnd, pipePair } from "../../lib/core/pipe.js";
import { findSocketType } from "../../lib/core/socket-type.js";
import type { Engine, EngineEnd, EngineOwner, EnginePeer } from "../../lib/zmtp/engine.js";
import { FLAG_COMMAND } from "../../lib/zmtp/constants.js";
import type { FrameEncoder, FrameSink } from "../../lib/zmtp/framing.js";
import type { FrameTransform } from "../../lib/zmtp/mechanisms/mechanism.js";
import { NullMechanism } from "../../lib/zmtp/mechanisms/null.js";
import { StreamEngine } from "../../lib/zmtp/stream-engine.js";
import { zmtpCodec } from "../../lib/zmtp/zmtp-codec.js";
import { encodeGreeting } from "../../lib/zmtp/greeting.js";
import { systemClock } from "../../lib/core/clock.js";

/** Every frame becomes a "BOX" command: 1 flags byte + the body XORed with 0x5a. */
class XorBoxes implements FrameTransform {
  readonly overhead = 1 + 3 + 1;
  sealed = 0;
  opened: number[] = [];
  seal(flags: number, body: Buffer, out: FrameEncoder): void {
    this.sealed++;
    const space = out.commandSpace("BOX", 1 + body.length);
    space[0] = flags;
    for (let i = 0; i < body.length; i++) space[1 + i] = body[i]! ^ 0x5a;
  }
  open(flags: number, body: Buffer, sink: FrameSink): boolean | void {
    if ((flags & FLAG_COMMAND) === 0 || body.toString("latin1", 1, 4) !== "BOX") throw new Error("not a box");
    const inner = body.subarray(4);
    const innerFlags = inner[0]!;
    const plain = Buffer.from(inner.subarray(1)); // in place would do too
    for (let i = 0; i < plain.length; i++) plain[i] = plain[i]! ^ 0x5a;
    this.opened.push(innerFlags);
    sink.frameHeader(innerFlags, plain.length);
    return sink.frame(innerFlags, plain);
  }
}

class TestMechanism extends NullMechanism {
  constructor(
    socketType: string,
    private readonly userId: string | undefined,
    readonly transform: XorBoxes | undefined,
  ) {
    super({ socketType, sendsIdentity: findSocketType(socketType)!.sendsIdentity });
  }
  override get peer(): EnginePeer | undefined {
    const p = super.peer;
    if (p !== undefined && this.userId !== undefined) p.properties.set("User-Id", Buffer.from(this.userId));
    return p;
  }
}

interface Side {
  engine: Engine;
  pipe: Promise<PipeEnd>;
  ended: Promise<EngineEnd>;
}

/** One engine on a stream; the owner gives it a pipe at engineReady. */
function side(stream: NetSocket, type: string, mech: NullMechanism, maxMessageSize = -1, heartbeatInterval = 0): Side {
  let ready!: (p: PipeEnd) => void;
  let ended!: (e: EngineEnd) => void;
  const pipe = new Promise<PipeEnd>((r) => (ready = r));
  const end = new Promise<EngineEnd>((r) => (ended = r));
  const owner: EngineOwner = {
    engineReady(engine, peer) {
      const info = { socketType: peer.socketType, endpoint: "test", locallyInitiated: false };
      const [mine, theirs] = pipePair(info, info, true, true);
      // what a Session does: the engine's end wakes the engine
      theirs.sink = { readActivated: () => engine.pipeReadable(), writeActivated: () => engine.pipeWritable(), terminated() {} };
      engine.attachPipe(theirs);
      ready(mine);
    },
    engineClosed: (_e, why) => ended(why),
  };
  const d = findSocketType(type.toLowerCase())!;
  const engine = new StreamEngine(stream, zmtpCodec({ mechanism: mech.name, asServer: mech.asServer, socketType: d.number, routingId: Buffer.alloc(0) }), {
    socketType: d.zmtp, clock: systemClock, maxMessageSize, handshakeInterval: 5000, heartbeatInterval, heartbeatTimeout: 5000, heartbeatTimeToLive: 0,
    mechanism: mech, sendsSubscriptions: d.subscriptions === "sends", takesSubscriptions: d.subscriptions === "takes",
    peerAddress: stream.remoteAddress,
  }, owner);
  return { engine, pipe, ended: end };
}

async function tcpPair(): Promise<[NetSocket, NetSocket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<NetSocket>((r) => server.once("connection", r));
  const dialed = connect(port, "127.0.0.1");
  await new Promise((r) => dialed.once("connect", r));
  const a = await accepted;
  server.close();
  return [dialed, a];
}

function readOne(p: PipeEnd): Promise<Msg> {
  return new Promise((resolve) => {
    const m = p.read();
    if (m !== undefined) return resolve(m);
    p.sink = { readActivated: () => resolve(p.read()!), writeActivated() {}, terminated() {} };
  });
}

describe("engine seams", () => {
  it("a mechanism's transform carries every frame after the handshake, commands included; multipart and limits work above it", async () => {
    const [s1, s2] = await tcpPair();
    const t1 = new XorBoxes();
    const t2 = new XorBoxes();
    const a = side(s1, "DEALER", new TestMechanism("DEALER", undefined, t1), -1, 20);
    const b = side(s2, "ROUTER", new TestMechanism("ROUTER", undefined, t2), 64);
    const [pa, pb] = await Promise.all([a.pipe, b.pipe]);
    pa.write([Buffer.from("one"), Buffer.from(""), Buffer.from("three")]);
    const got = await readOne(pb);
    expect(got.map(String)).toEqual(["one", "", "three"]);
    expect(t2.opened).toEqual([1, 1, 0]); // MORE, MORE, last: assembled above the transform
    // A's heartbeat PINGs are boxed too, and B's PONGs come back boxed
    for (let i = 0; i < 200 && !(t2.opened.includes(FLAG_COMMAND) && t1.opened.includes(FLAG_COMMAND)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(t2.opened).toContain(FLAG_COMMAND);
    expect(t1.opened).toContain(FLAG_COMMAND);
    // maxMessageSize (64) applies to what the boxes carry: 40 + 25 bytes inside close the connection
    pa.write([Buffer.alloc(40), Buffer.alloc(25)]);
    const end = await b.ended;
    expect(end.error?.code).toBe("EMSGSIZE");
    a.engine.destroy();
  }, 10_000);

  it("a mechanism's User-Id reaches every received message as metadata, with the peer's address; NULL attaches none", async () => {
    const [s1, s2] = await tcpPair();
    const a = side(s1, "DEALER", new TestMechanism("DEALER", undefined, undefined));
    const b = side(s2, "ROUTER", new TestMechanism("ROUTER", "alice", undefined));
    const [pa, pb] = await Promise.all([a.pipe, b.pipe]);
    pa.write([Buffer.from("hi")]);
    const got = await readOne(pb);
    const meta = messageMetadata(got)!;
    expect(meta.properties!.get("User-Id")!.toString()).toBe("alice");
    expect(meta.properties!.get("Peer-Address")!.toString()).toBe("127.0.0.1");
    pb.write([Buffer.from("back")]);
    expect(messageMetadata(await readOne(pa))).toBeUndefined();
    a.engine.destroy();
    b.engine.destroy();
  }, 10_000);

  it("metadata rides through pipes and the patterns that rebuild a message (ROUTER, REP, REQ)", () => {
    const meta = { properties: new Map([["User-Id", Buffer.from("bob")]]) };
    for (const [type, msg] of [
      ["router", [Buffer.from("x")]],
      ["rep", [Buffer.from(""), Buffer.from("req")]],
    ] as const) {
      const host = { options: { receiveHighWaterMark: 1000, handover: false, probeRouter: false, mandatory: false } as never, random: Math.random, readable() {}, writable() {}, dropped() {} };
      const pattern = findSocketType(type)!.createPattern(host);
      const info = { socketType: "DEALER", endpoint: "test", locallyInitiated: false, routingId: Buffer.from("id") };
      const [mine, theirs] = pipePair(info, info, true, true);
      pattern.attach(mine);
      const m: Msg = [...msg];
      m.meta = meta;
      theirs.write(m);
      const out = pattern.receive()!;
      expect(messageMetadata(out), type).toBe(meta);
    }
  });
  it("what one read makes the engine send leaves in one write: the rest of its greeting with its READY", async () => {
    const [s1, s2] = await tcpPair();
    // bytes per write that reaches the socket's handle (a corked group is one)
    const writes: number[] = [];
    const raw = s1 as unknown as {
      _write(c: Buffer, e: string, cb: () => void): void;
      _writev(cs: { chunk: Buffer }[], cb: () => void): void;
    };
    const w = raw._write.bind(s1);
    const wv = raw._writev.bind(s1);
    raw._write = (c, e, cb) => {
      writes.push(c.length);
      w(c, e, cb);
    };
    raw._writev = (cs, cb) => {
      writes.push(cs.reduce((n, c) => n + c.chunk.length, 0));
      wv(cs, cb);
    };
    let got = 0;
    const signature = new Promise<void>((r) => s2.on("data", (d: Buffer) => (got += d.length) >= 10 && r()));
    const a = side(s1, "DEALER", new NullMechanism({ socketType: "DEALER", sendsIdentity: true }));
    await signature;
    // a ROUTER peer's whole greeting and READY in one piece
    const meta = Buffer.concat([Buffer.of(11), Buffer.from("Socket-Type"), Buffer.from([0, 0, 0, 6]), Buffer.from("ROUTER")]);
    const ready = Buffer.concat([Buffer.of(0x04, 6 + meta.length, 5), Buffer.from("READY"), meta]);
    s2.write(Buffer.concat([encodeGreeting("NULL", false), ready]));
    await a.pipe;
    // the signature, then the major version, the rest of the greeting and
    // READY (the socket type and an empty Identity) together
    const ours = 2 + 6 + (1 + 11 + 4 + 6) + (1 + 8 + 4);
    expect(writes).toEqual([10, 1 + 53 + ours]);
    a.engine.destroy();
    s2.destroy();
  }, 10_000);
});
