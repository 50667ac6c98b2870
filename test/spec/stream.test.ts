// ZMQ_STREAM: raw peers over tcp and ipc, interop with libzmq's STREAM,
// flow control, linger, and the transports it cannot use.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import net from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Stream } from "../../index.js";
import { noiseBytes, rejectionCode, sleep, tempDir, until, useSockets, within } from "../helpers.js";

const T = 20_000;
const requireCjs = createRequire(import.meta.url);
const zmq = () => requireCjs("zeromq") as typeof import("zeromq");
const portOf = (s: { lastEndpoint: string | null }) => Number(s.lastEndpoint!.split(":").pop());
const sha = (b: Buffer) => createHash("sha1").update(b).digest("hex");

function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1");
    c.once("error", reject);
    c.once("connect", () => resolve(c));
  });
}

/** Receive from a STREAM until `bytes` of data from `id` have come. */
async function readBytes(s: Stream, id: Buffer, bytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  while (n < bytes) {
    const [from, d] = await s.receive();
    if (!from.equals(id) || d.length === 0) continue;
    parts.push(d);
    n += d.length;
  }
  return Buffer.concat(parts);
}

describe("STREAM", () => {
  const s = useSockets();
  const peers: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });

  it("talks to libzmq's STREAM both ways: omq binds and libzmq connects, then the reverse", async () => {
    const z = zmq();
    // omq binds
    const server = s(new Stream());
    await server.bind("tcp://127.0.0.1:0");
    const zc = new z.Stream({ linger: 0 });
    peers.push(zc);
    zc.connect(server.lastEndpoint!, { routingId: "zc" });
    const [sid, note] = await server.receive();
    expect(note.length).toBe(0);
    expect((await zc.receive())[1]!.length).toBe(0);
    await zc.send(["zc", "from libzmq"]);
    expect((await readBytes(server, sid, 11)).toString()).toBe("from libzmq");
    await server.send([sid, "from omq"]);
    const [cid, d] = await zc.receive();
    expect([cid.toString(), d.toString()]).toEqual(["zc", "from omq"]);
    // libzmq binds
    const zs = new z.Stream({ linger: 0 });
    peers.push(zs);
    await zs.bind("tcp://127.0.0.1:0");
    const client = s(new Stream());
    client.connect(zs.lastEndpoint!, { routingId: Buffer.from("oc") });
    const [zid] = await zs.receive();
    const [oid, hello] = await client.receive();
    expect([oid.toString(), hello.length]).toEqual(["oc", 0]);
    await client.send(["oc", "ping"]);
    const [from, ping] = await zs.receive();
    expect(from.equals(zid) && ping.toString()).toBe("ping");
    await zs.send([zid, "pong"]);
    expect((await client.receive())[1]!.toString()).toBe("pong");
  }, T);

  it("hears a ZeroMQ peer as the raw bytes of its ZMTP greeting", async () => {
    const server = s(new Stream());
    await server.bind("tcp://127.0.0.1:0");
    const d = new (zmq().Dealer)({ linger: 0 });
    peers.push(d);
    d.connect(server.lastEndpoint!);
    const [id] = await server.receive();
    // RFC 23: 0xFF, 8 bytes of padding, 0x7F; libzmq waits for ours before
    // it sends the version
    const g = await readBytes(server, id, 10);
    expect(g[0]).toBe(0xff);
    expect(g[9]).toBe(0x7f);
    await server.send([id, Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f])]);
    expect((await readBytes(server, id, 1))[0]).toBe(3);
  }, T);

  it("works over ipc", async () => {
    const dir = tempDir("omq-stream-");
    try {
      const server = s(new Stream());
      const path = join(dir.dir, "s.sock");
      await server.bind(`ipc://${path}`);
      const c = await new Promise<net.Socket>((resolve, reject) => {
        const c = net.connect(path);
        c.once("error", reject);
        c.once("connect", () => resolve(c));
      });
      peers.push({ close: () => c.destroy() });
      const [id] = await server.receive();
      c.write("over ipc");
      expect((await readBytes(server, id, 8)).toString()).toBe("over ipc");
      const got = new Promise<string>((r) => c.once("data", (b) => r(b.toString())));
      await server.send([id, "back"]);
      expect(await within(got, 5000, "ipc reply")).toBe("back");
    } finally {
      dir.remove();
    }
  }, T);

  it("is refused on transports that are not byte streams: inproc and ws (ENOCOMPATPROTO)", async () => {
    const a = s(new Stream());
    expect(await rejectionCode(a.bind("inproc://omq-stream"))).toBe("ENOCOMPATPROTO");
    expect(await rejectionCode(a.bind("ws://127.0.0.1:0"))).toBe("ENOCOMPATPROTO");
    expect(() => a.connect("inproc://omq-stream")).toThrow(expect.objectContaining({ code: "ENOCOMPATPROTO" }));
  }, T);

  it("stops reading a peer at its receive HWM and loses nothing: 24 MiB arrive whole once read", async () => {
    const server = s(new Stream({ receiveHighWaterMark: 2 }));
    await server.bind("tcp://127.0.0.1:0");
    const c = await connectTo(portOf(server));
    peers.push({ close: () => c.destroy() });
    const [id] = await server.receive();
    const data = noiseBytes(24 * 1024 * 1024, 7);
    c.write(data);
    await sleep(300);
    // nobody reads: the socket holds at most its HWM of reads (64 KiB each),
    // the kernel buffers a few MiB, and the rest waits in the client
    expect(c.writableLength).toBeGreaterThan(8 * 1024 * 1024);
    const got = await within(readBytes(server, id, data.length), 15_000, "24 MiB");
    expect(sha(got)).toBe(sha(data));
  }, 30_000);

  it("close() with linger flushes what was sent to a raw peer", async () => {
    const server = new Stream();
    await server.bind("tcp://127.0.0.1:0");
    const c = await connectTo(portOf(server));
    peers.push({ close: () => c.destroy() });
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((r) => c.on("end", () => r()));
    c.on("data", (b) => chunks.push(b));
    const [id] = await server.receive();
    const data = noiseBytes(4 * 1024 * 1024, 3);
    await server.send([id, data]);
    server.close();
    await within(ended, 10_000, "the peer's end");
    expect(sha(Buffer.concat(chunks))).toBe(sha(data));
  }, T);

  it("a peer that resets its connection is reported and the socket keeps serving the others", async () => {
    const server = s(new Stream());
    await server.bind("tcp://127.0.0.1:0");
    const a = await connectTo(portOf(server));
    const [ida] = await server.receive();
    const b = await connectTo(portOf(server));
    peers.push({ close: () => b.destroy() });
    const [idb] = await server.receive();
    a.resetAndDestroy();
    const [gone, note] = await server.receive();
    expect(gone.equals(ida) && note.length).toBe(0);
    expect(await rejectionCode(server.send([ida, "x"]))).toBe("EHOSTUNREACH");
    b.write("still here");
    expect((await readBytes(server, idb, 10)).toString()).toBe("still here");
  }, T);

  it("[id, \"\"] on a connect()ed peer ends that connection for good: no reconnect", async () => {
    let accepted = 0;
    const srv = net.createServer((sock) => {
      accepted++;
      sock.on("error", () => {});
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    peers.push({ close: () => srv.close() });
    const client = s(new Stream({ reconnectInterval: 20 }));
    client.connect(`tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, { routingId: "c" });
    await client.receive();
    await client.send(["c", ""]);
    await until(() => accepted === 1, 5000, "one connection");
    await sleep(300);
    expect(accepted).toBe(1);
    expect(await rejectionCode(client.send(["c", "x"]))).toBe("EHOSTUNREACH");
  }, T);
});

describe("examples/http-stream.js", () => {
  it("answers HTTP requests from Node's fetch", async () => {
    const { main } = await import("../../examples/http-stream.js");
    const answers = await within(main(), 10_000, "the HTTP example");
    expect(answers).toEqual([
      "200 Hello from omq's STREAM socket; you asked for /",
      "200 Hello from omq's STREAM socket; you asked for /hello",
    ]);
  }, T);
});
