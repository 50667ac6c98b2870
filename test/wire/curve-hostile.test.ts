// Malformed and hostile CURVE input over raw sockets, against an omq CURVE
// server and an omq CURVE client: each case must close that one connection,
// deliver nothing it should not, and leave the socket serving an honest peer.
import { type Server, createServer } from "node:net";
import sodium from "libsodium-wrappers-sumo";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { Dealer, Router, type Socket, curveKeyPair } from "../../index.js";
import { z85Decode } from "../../lib/core/z85.js";
import { RawPeer, command, frame, nextEvent, property, sleep, within } from "../helpers.js";
import { RawCurveClient, RawCurveServer, short } from "../support/curve-peer.js";

const serverKeys = curveKeyPair();
const serverPublic = z85Decode(serverKeys.publicKey);
/** The raw servers use the same long-term keys as the honest omq server. */
const serverLong = { publicKey: serverPublic, privateKey: z85Decode(serverKeys.secretKey) };
const clientKeys = curveKeyPair();
const open: Socket[] = [];
const rawOpen: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const r of rawOpen.splice(0)) r.close();
});
beforeAll(async () => {
  await sodium.ready;
});

async function curveRouter(): Promise<Router> {
  const r = new Router({ linger: 0, curveServer: true, curveSecretKey: serverKeys.secretKey, receiveTimeout: 3000 });
  open.push(r);
  await r.bind("tcp://127.0.0.1:*");
  return r;
}

function honestDealer(address: string): Dealer {
  const d = new Dealer({
    linger: 0,
    curveServerKey: serverKeys.publicKey,
    curvePublicKey: clientKeys.publicKey,
    curveSecretKey: clientKeys.secretKey,
    receiveTimeout: 5000,
  });
  open.push(d);
  d.connect(address);
  return d;
}

/** The server still serves: an honest CURVE DEALER round-trips through it. */
async function stillServes(r: Router): Promise<void> {
  const d = honestDealer(r.lastEndpoint!);
  await d.send("honest");
  const [id, body] = await within(r.receive(), 5000, "the honest peer's message");
  expect(body!.toString()).toBe("honest");
  await r.send([id!, "reply"]);
  const [reply] = await within(d.receive(), 5000, "the reply to the honest peer");
  expect(reply!.toString()).toBe("reply");
}

/** What the router received (each [routing id, ...frames]) within `ms`. */
async function received(r: Router, ms = 300): Promise<string[][]> {
  const out: string[][] = [];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!r.readable) {
      await sleep(20);
      continue;
    }
    const m = await r.receive();
    out.push(m.slice(1).map(String));
  }
  return out;
}

async function client(r: Router): Promise<RawCurveClient> {
  const c = await RawCurveClient.connect(r.lastEndpoint!, serverPublic);
  rawOpen.push(c);
  return c;
}

describe("hostile input against an omq CURVE server", () => {
  test("a reused nonce: the second box is refused and the connection closed", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    const n = c.nextNonce;
    c.raw.write(c.messageFrame(Buffer.from("first"), { nonce: n }));
    c.raw.write(c.messageFrame(Buffer.from("again"), { nonce: n }));
    await c.closed();
    expect(await received(r)).toEqual([["first"]]);
    await stillServes(r);
  });

  test("a decreasing nonce is refused", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    const n = c.nextNonce;
    c.raw.write(c.messageFrame(Buffer.from("five"), { nonce: n + 5n }));
    c.raw.write(c.messageFrame(Buffer.from("four"), { nonce: n + 4n }));
    await c.closed();
    expect(await received(r)).toEqual([["five"]]);
    await stillServes(r);
  });

  test("a replayed MESSAGE (the same bytes twice) is refused", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    const f = c.messageFrame(Buffer.from("once"));
    c.raw.write(f);
    c.raw.write(f);
    await c.closed();
    expect(await received(r)).toEqual([["once"]]);
    await stillServes(r);
  });

  test("a reordered pair: the later nonce first, then the earlier one is refused", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    const a = c.messageFrame(Buffer.from("a"));
    const b = c.messageFrame(Buffer.from("b"));
    c.raw.write(b);
    c.raw.write(a);
    await c.closed();
    expect(await received(r)).toEqual([["b"]]);
    await stillServes(r);
  });

  test("a box with one bit flipped is refused (handshake:error is not raised: it is past the handshake)", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    c.raw.write(c.messageFrame(Buffer.from("tampered"), { flipBit: true }));
    await c.closed();
    expect(await received(r)).toEqual([]);
    await stillServes(r);
  });

  test("a multipart message whose last box is bad delivers none of its parts", async () => {
    const r = await curveRouter();
    const c = await client(r);
    await c.handshake();
    c.raw.write(c.messageFrame(Buffer.from("part1"), { flags: 1 }));
    c.raw.write(c.messageFrame(Buffer.from("part2"), { flipBit: true }));
    await c.closed();
    expect(await received(r)).toEqual([]);
    await stillServes(r);
  });

  for (const [what, hello] of [
    ["a truncated HELLO (40 of 72 padding bytes)", { padding: 40 }],
    ["a HELLO without its padding", { padding: 0 }],
    ["an oversized HELLO (10 bytes too many)", { extra: 10 }],
    ["a HELLO whose padding is not zeros", { dirtyPadding: true }],
  ] as const) {
    test(`${what}: handshake:error:protocol, closed`, async () => {
      const r = await curveRouter();
      const failed = nextEvent(r, "handshake:error:protocol", 5000);
      const c = await client(r);
      c.hello(hello);
      await c.closed();
      const e = (await failed) as { error?: { code?: string } };
      expect(e.error?.code).toBe("ERR_ZMTP_MALFORMED_COMMAND_HELLO");
      await stillServes(r);
    });
  }

  test("a HELLO declaring 1 GiB is refused at its header, before any body byte", async () => {
    const r = await curveRouter();
    const c = await client(r);
    const h = Buffer.alloc(9);
    h[0] = 0x04 | 0x02;
    h.writeBigUInt64BE(1n << 30n, 1);
    c.raw.write(h, Buffer.from("\x05HELLO", "latin1"));
    await c.closed();
    await stillServes(r);
  });

  test("an INITIATE with a bad vouch is refused", async () => {
    const r = await curveRouter();
    const failed = nextEvent(r, "handshake:error:protocol", 5000);
    const c = await client(r);
    c.hello();
    await c.welcome();
    c.initiate({ badVouch: true });
    await c.closed();
    const e = (await failed) as { error?: { code?: string } };
    expect(e.error?.code).toBe("ERR_ZMTP_KEY_EXCHANGE");
    await stillServes(r);
  });

  test("an INITIATE with the cookie of another connection is refused", async () => {
    const r = await curveRouter();
    const a = await client(r);
    const b = await client(r);
    a.hello();
    b.hello();
    await a.welcome();
    await b.welcome();
    b.initiate({ cookie: a.cookie! });
    await b.closed();
    // a's own cookie still works on a: single use per connection, bound to it
    a.initiate();
    await a.ready();
    a.raw.write(a.messageFrame(Buffer.from("from a")));
    expect(await received(r, 500)).toEqual([["from a"]]);
    await stillServes(r);
  });

  test("metadata longer than its box (CVE-2019-13132's class) is refused", async () => {
    const r = await curveRouter();
    const failed = nextEvent(r, "handshake:error:protocol", 5000);
    const c = await client(r);
    c.hello();
    await c.welcome();
    // Socket-Type claims a 100 000-byte value; 6 bytes follow
    const lying = property("Socket-Type", "DEALER");
    lying.writeUInt32BE(100_000, 1 + "Socket-Type".length);
    c.initiate({ metadata: lying });
    await c.closed();
    const e = (await failed) as { error?: { code?: string } };
    expect(e.error?.code).toBe("ERR_ZMTP_INVALID_METADATA");
    await stillServes(r);
  });

  for (const [what, bytes] of [
    ["a data frame before HELLO", () => frame("early")],
    ["READY before HELLO", () => command("READY", property("Socket-Type", "DEALER"))],
    ["a PING before the handshake ends", () => command("PING", Buffer.from([0, 0]))],
  ] as const) {
    test(`${what} is refused`, async () => {
      const r = await curveRouter();
      const c = await client(r);
      c.raw.write(bytes());
      await c.closed();
      expect(await received(r)).toEqual([]);
      await stillServes(r);
    });
  }

  test("a MESSAGE before INITIATE is refused", async () => {
    const r = await curveRouter();
    const c = await client(r);
    c.hello();
    await c.welcome();
    c.raw.write(frame(Buffer.concat([Buffer.from("\x07MESSAGE", "latin1"), short(3n), Buffer.alloc(17)]), 0x04));
    await c.closed();
    expect(await received(r)).toEqual([]);
    await stillServes(r);
  });
});

describe("hostile input against an omq CURVE client", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.close();
    server = undefined;
  });

  /** A raw server; returns its address and the next accepted connection. */
  async function rawServer(): Promise<{ address: string; accepted: Promise<RawPeer> }> {
    let accept!: (p: RawPeer) => void;
    const accepted = new Promise<RawPeer>((r) => (accept = r));
    server = createServer((s) => {
      const p = RawPeer.wrap(s);
      rawOpen.push(p);
      accept(p);
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    return { address: `tcp://127.0.0.1:${port}`, accepted };
  }

  /** An omq CURVE DEALER dialing the raw server (keys: the raw server's). */
  function dealerFor(address: string, serverPublicKey: Uint8Array): Dealer {
    const d = new Dealer({
      linger: 0,
      curveServerKey: Buffer.from(serverPublicKey),
      curvePublicKey: clientKeys.publicKey,
      curveSecretKey: clientKeys.secretKey,
      reconnectInterval: 60_000,
      receiveTimeout: 3000,
      // messages go only to connected peers: after the bad server, the honest one
      immediate: true,
    });
    open.push(d);
    d.connect(address);
    return d;
  }

  async function handshaken(): Promise<{ d: Dealer; srv: RawCurveServer; failed: Promise<unknown> }> {
    const long = serverLong;
    const { address, accepted } = await rawServer();
    const d = dealerFor(address, long.publicKey);
    const srv = await RawCurveServer.accept(await accepted, long);
    await srv.welcome();
    await srv.ready();
    await nextEvent(d, "handshake", 5000);
    return { d, srv, failed: Promise.resolve() };
  }

  /** Everything the dealer received within `ms`. */
  async function got(d: Dealer, ms = 300): Promise<string[][]> {
    const out: string[][] = [];
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!d.readable) {
        await sleep(20);
        continue;
      }
      out.push((await d.receive()).map(String));
    }
    return out;
  }

  test("a WELCOME with one bit flipped: handshake:error:protocol, closed", async () => {
    const long = serverLong;
    const { address, accepted } = await rawServer();
    const d = dealerFor(address, long.publicKey);
    const failed = nextEvent(d, "handshake:error:protocol", 5000);
    const srv = await RawCurveServer.accept(await accepted, long);
    await srv.welcome({ flipBit: true });
    await srv.closed();
    expect(((await failed) as { error?: { code?: string } }).error?.code).toBe("ERR_ZMTP_CRYPTOGRAPHIC");
  });

  test("a tampered READY is refused", async () => {
    const long = serverLong;
    const { address, accepted } = await rawServer();
    const d = dealerFor(address, long.publicKey);
    const failed = nextEvent(d, "handshake:error:protocol", 5000);
    const srv = await RawCurveServer.accept(await accepted, long);
    await srv.welcome();
    await srv.ready({ flipBit: true });
    await srv.closed();
    expect(((await failed) as { error?: { code?: string } }).error?.code).toBe("ERR_ZMTP_CRYPTOGRAPHIC");
  });

  test("a READY before WELCOME is refused", async () => {
    const long = serverLong;
    const { address, accepted } = await rawServer();
    dealerFor(address, long.publicKey);
    const peer = await accepted;
    await RawCurveServer.accept(peer, long);
    peer.write(command("READY", property("Socket-Type", "ROUTER")));
    await within(peer.untilClosed(5000), 6000, "the client to close");
  });

  for (const [what, send] of [
    ["a reused nonce", (s: RawCurveServer) => {
      const n = s.nextNonce;
      return [s.messageFrame(Buffer.from("first"), { nonce: n }), s.messageFrame(Buffer.from("again"), { nonce: n })];
    }],
    ["a decreasing nonce", (s: RawCurveServer) => {
      const n = s.nextNonce;
      return [s.messageFrame(Buffer.from("first"), { nonce: n + 3n }), s.messageFrame(Buffer.from("again"), { nonce: n + 2n })];
    }],
    ["a replayed box", (s: RawCurveServer) => {
      const f = s.messageFrame(Buffer.from("first"));
      return [f, f];
    }],
    ["a tampered box after a good one", (s: RawCurveServer) => [s.messageFrame(Buffer.from("first")), s.messageFrame(Buffer.from("again"), { flipBit: true })]],
  ] as const) {
    test(`${what} from the server closes the connection; only the good message arrives`, async () => {
      const { d, srv } = await handshaken();
      srv.raw.write(...send(srv));
      await srv.closed();
      expect(await got(d)).toEqual([["first"]]);
      // the socket serves another (honest) server
      const r = await curveRouter();
      d.connect(r.lastEndpoint!);
      await d.send("still here");
      const [, body] = await within(r.receive(), 5000, "a message from the client after the bad server");
      expect(body!.toString()).toBe("still here");
    });
  }
});
