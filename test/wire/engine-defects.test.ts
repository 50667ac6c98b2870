// Engine defects found in review, each with the behaviour libzmq has.
import { execFile } from "node:child_process";
import { type Server, type Socket as NetSocket, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { Dealer, Router } from "../../index.js";
import type { EventRecord as Event } from "../../lib/core/events.js";
import { collect, eventsSeen, until, RawPeer, command, frame, greeting, ready } from "../helpers.js";

const run = promisify(execFile);
const IDLE = fileURLToPath(new URL("./fixtures/idle-connections.mjs", import.meta.url));
const closers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c.close();
});

/** A raw ZMTP server: `onPeer` gets each accepted connection. */
async function rawServer(onPeer: (p: RawPeer, s: NetSocket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => onPeer(RawPeer.wrap(s), s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push({ close: () => server.close() });
  return { server, port: (server.address() as { port: number }).port };
}

describe("engine defects", () => {
  it("outbound messages are not drained into a connection whose peer has gone: the next connection gets them", async () => {
    // a peer sends 300 messages to a DEALER that holds 1, then closes
    let peerClosed = false;
    const { server, port } = await rawServer((p, s) => {
      p.write(greeting(), ready("ROUTER"));
      const msgs = Array.from({ length: 300 }, (_, i) => frame(`m${i}`));
      p.write(...msgs);
      s.end();
      s.on("close", () => (peerClosed = true));
    });
    const dealer = new Dealer({ linger: 0, receiveHighWaterMark: 1 });
    closers.push(dealer);
    dealer.connect(`tcp://127.0.0.1:${port}`);
    await until(() => peerClosed, 5000, "the peer to close");
    await new Promise((r) => setTimeout(r, 100)); // the DEALER has seen the FIN
    for (let i = 0; i < 10; i++) await dealer.send(`after-${i}`);
    await new Promise<void>((r) => server.close(() => r()));
    // a new peer on the same address
    const router = new Router({ linger: 0 });
    closers.push(router);
    await router.bind(`tcp://127.0.0.1:${port}`);
    // reading what was held lets the old connection end, and the DEALER reconnect
    const got = await collect(dealer, 300, 10_000);
    expect(got.map((m) => m[0]!.toString())).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    const sent = await collect(router, 10, 10_000);
    expect(sent.map((m) => m[1]!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `after-${i}`));
  }, 30_000);

  it("a throwing event listener reaches the process as an uncaught exception and never fails the connection", async () => {
    const saved = process.listeners("uncaughtException");
    const caught: unknown[] = [];
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", (e) => caught.push(e));
    try {
      const router = new Router({ linger: 0 });
      closers.push(router);
      router.events.on("handshake", () => {
        throw new Error("application bug");
      });
      await router.bind("tcp://127.0.0.1:*");
      const dealer = new Dealer({ linger: 0, receiveTimeout: 5000 });
      closers.push(dealer);
      const seen: Event["type"][] = [];
      dealer.events.on("handshake", (e) => seen.push(e.type));
      dealer.events.on("disconnect", (e) => seen.push(e.type));
      dealer.connect(router.lastEndpoint!);
      await dealer.send("q");
      const [id, q] = await router.receive();
      await router.send([id!, q!]);
      expect((await dealer.receive())[0]!.toString()).toBe("q");
      await new Promise((r) => setTimeout(r, 300)); // a reconnect loop would show by now
      expect(seen).toEqual(["handshake"]);
      expect(caught.length).toBe(1);
      expect((caught[0] as Error).message).toBe("application bug");
    } finally {
      process.removeAllListeners("uncaughtException");
      for (const l of saved) process.on("uncaughtException", l);
    }
  }, 20_000);

  it("a peer's ERROR with a ZAP status during the handshake is handshake:error:auth with that status, as libzmq reports it", async () => {
    const { port } = await rawServer((p) => p.write(greeting(), command("ERROR", Buffer.from("\x03400", "latin1"))));
    const address = `tcp://127.0.0.1:${port}`;
    const omq = new Dealer({ linger: 0, reconnectInterval: -1 });
    closers.push(omq);
    const omqEvents: Event[] = [];
    omq.events.on("handshake:error:auth", (e) => omqEvents.push(e));
    omq.events.on("handshake:error:protocol", (e) => omqEvents.push(e));
    omq.connect(address);
    await eventsSeen(omq, ["handshake:error:auth", "handshake:error:protocol"], 1);
    await until(() => omqEvents.length > 0, 1000, "the listener");
    expect(omqEvents[0]!.type).toBe("handshake:error:auth");
    expect(omqEvents[0]!.error?.status).toBe(400);
    // the same peer seen by libzmq
    const lib = new zmq.Dealer({ linger: 0 });
    closers.push(lib);
    const libEvent = new Promise<string>((resolve) => {
      lib.events.on("handshake:error:auth", (e) => resolve(`${e.type} ${(e.error as { status?: number }).status}`));
      lib.events.on("handshake:error:protocol", (e) => resolve(e.type));
    });
    lib.connect(address);
    expect(await libEvent).toBe("handshake:error:auth 400");
  }, 20_000);

  it("a peer's ERROR with another reason stays handshake:error:protocol", async () => {
    const { port } = await rawServer((p) => p.write(greeting(), command("ERROR", Buffer.from("\x07go away", "latin1"))));
    const omq = new Dealer({ linger: 0, reconnectInterval: -1 });
    closers.push(omq);
    const types: string[] = [];
    omq.events.on("handshake:error:auth", (e) => types.push(e.type));
    omq.events.on("handshake:error:protocol", (e) => types.push(e.type));
    omq.connect(`tcp://127.0.0.1:${port}`);
    await until(() => types.length > 0, 5000, "a handshake error");
    expect(types).toEqual(["handshake:error:protocol"]);
  }, 20_000);

  for (const size of [5, 40_000, 300_000]) {
    it(`an idle connection holds (almost) no array buffers: no encoder slab, no read buffer of its own (last message ${size} B)`, async () => {
      const { stdout } = await run(process.execPath, ["--expose-gc", IDLE, "200", String(size)], { timeout: 60_000 });
      const { perConnection } = JSON.parse(stdout.trim().split("\n").at(-1)!) as { perConnection: number };
      // per DEALER+ROUTER pair, both ends of the connection in one process
      expect(perConnection).toBeLessThan(8 * 1024);
    }, 90_000);
  }

  it("data a peer sent before closing is delivered to a slow reader even with heartbeats on (silence from a closed peer is no reason to drop it)", async () => {
    const { port } = await rawServer((p, s) => {
      p.write(greeting(), ready("ROUTER"));
      p.write(...Array.from({ length: 20_000 }, (_, i) => frame(`m${i}`)));
      s.end();
    });
    const dealer = new Dealer({ linger: 0, receiveHighWaterMark: 10, heartbeatInterval: 100, heartbeatTimeout: 200 });
    closers.push(dealer);
    const ends: string[] = [];
    dealer.events.on("disconnect", (e) => ends.push(`disconnect ${e.error?.code ?? ""}`));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 1500)); // the reader is busy elsewhere; several heartbeat timeouts pass
    const got = await collect(dealer, 20_000, 20_000);
    expect(got.length).toBe(20_000);
    expect(got[19_999]![0]!.toString()).toBe("m19999");
    expect(ends.filter((e) => e.includes("ETIMEDOUT"))).toEqual([]);
  }, 40_000);

  it("the pgm sender's encoder reuses its slabs (no growth per message)", async () => {
    const { Fragmenter } = await import("../../transports/pgm/fragmenter.js");
    let bytes = 0;
    const f = new Fragmenter(1400, 0, (b) => (bytes += b.length));
    for (let i = 0; i < 200_000; i++) f.add([Buffer.alloc(100, i & 0xff)]);
    f.flush();
    const retired = (f as unknown as { encoder: { retired: unknown[] } }).encoder.retired.length;
    expect(bytes).toBeGreaterThan(200_000 * 100);
    expect(retired).toBeLessThan(4);
  }, 20_000);

  it("Observer.off() also stops an event already on its way to the listener", async () => {
    const router = new Router({ linger: 0 });
    closers.push(router);
    const seen: string[] = [];
    const l = (e: Event) => seen.push(e.type);
    router.events.on("bind", l);
    const bound = router.bind("tcp://127.0.0.1:*");
    await bound;
    expect(seen).toEqual(["bind"]);
    router.events.on("close", l);
    const unbound = router.unbind(router.lastEndpoint!);
    router.events.off("close", l); // the "close" event is queued, not yet delivered
    await unbound;
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(["bind"]);
  }, 10_000);
});
