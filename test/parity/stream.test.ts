// zeromq.js parity (#12 item 12): the STREAM socket, each scenario run on
// zeromq.js (libzmq 4.3.5) and on omq against the same plain node:net peer,
// and what the application sees compared: messages, notifications, events,
// errors.
import net from "node:net";
import { describe, expect, test } from "vitest";
import { Stream } from "../../index.js";
import { type Lib, same, zmq } from "./harness.js";

const T = 15_000;
type Track = <S extends { close(): void }>(s: S) => S;
type AnyStream = InstanceType<Lib["Stream"]>;

const portOf = (s: { lastEndpoint: string | null }) => Number(s.lastEndpoint!.split(":").pop());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (m: Buffer[]) => m.map((f) => f.toString()).join("|");

/** Event types as they come, by emitter-style listeners (they end with the socket). */
function watch(s: AnyStream): string[] {
  const seen: string[] = [];
  for (const t of ["bind", "accept", "connect", "connect:delay", "connect:retry", "handshake", "handshake:error:other", "disconnect", "close"] as const) {
    s.events.on(t, () => seen.push(t));
  }
  return seen;
}

function client(port: number): Promise<{ c: net.Socket; got: string[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1");
    const got: string[] = [];
    c.on("data", (d) => got.push(d.toString()));
    c.on("end", () => got.push("<end>"));
    const closed = new Promise<void>((r) => c.on("close", () => r()));
    c.once("error", reject);
    c.once("connect", () => resolve({ c, got, closed }));
  });
}

describe("STREAM as a server for plain TCP clients", () => {
  test("a connect notification, data, a reply, and [id, \"\"] closing the peer after the reply", async () => {
    const z = await same(async (lib, track: Track) => {
      const s = track(new lib.Stream());
      const events = watch(s);
      await s.bind("tcp://127.0.0.1:0");
      const { c, got, closed } = await client(portOf(s));
      const out: string[] = [];
      const [id, hello] = await s.receive();
      out.push(`id ${id.length} B, first ${id[0]}, notify ${hello.length}`);
      c.write("GET / HTTP/1.0\r\n\r\n");
      const [id2, req] = await s.receive();
      out.push(`same id ${id2.equals(id)}: ${req.toString().trim()}`);
      await s.send([id, "HTTP/1.0 200 OK\r\n\r\nhi"]);
      await s.send([id, ""]);
      // libzmq acts on the close when the socket next runs: a pending receive
      const pending = s.receive().then(text, (e: { code?: string }) => `rejected ${e.code}`);
      await closed;
      out.push(`client got ${got.join("")}`);
      await sleep(50);
      s.close();
      out.push(`pending receive ${await pending}`);
      await sleep(50);
      out.push(`events ${events.join(",")}`);
      return out.join("\n");
    });
    expect(z.value).toContain("client got HTTP/1.0 200 OK\r\n\r\nhi<end>");
    expect(z.value).toContain("pending receive rejected EAGAIN");
  }, T);

  test("a client that sends and closes: its data, then a zero-length message; a send to it then is EHOSTUNREACH", async () => {
    const late = new Map<unknown, string>();
    const z = await same(async (lib, track: Track) => {
      const s = track(new lib.Stream());
      const events = watch(s);
      await s.bind("tcp://127.0.0.1:0");
      const { c } = await client(portOf(s));
      const [id] = await s.receive();
      c.end("bye");
      const m1 = await s.receive();
      const m2 = await s.receive();
      const out = [`${m1[0]!.equals(id)} ${m1[1]}`, `${m2[0]!.equals(id)} ${m2[1]!.length}`];
      await sleep(100);
      late.set(lib.Stream, await s.send([id, "late"]).then(() => "sent", (e: { code?: string }) => e.code!));
      out.push(`events ${events.join(",")}`);
      return out.join("\n");
    });
    expect(z.value).toContain("handshake:error:other,disconnect");
    // the documented difference: the peer is gone, so omq says so; libzmq
    // answers EAGAIN until its pipe's termination has run (a race)
    expect(late.get(Stream)).toBe("EHOSTUNREACH");
    expect(["EAGAIN", "EHOSTUNREACH"]).toContain(late.get(zmq().Stream));
  }, T);

  test("notify off: no zero-length messages, only data", async () => {
    const z = await same(async (lib, track: Track) => {
      const s = track(new lib.Stream({ notify: false }));
      await s.bind("tcp://127.0.0.1:0");
      const { c } = await client(portOf(s));
      c.write("one");
      const [, d] = await s.receive();
      c.end();
      const next = await Promise.race([s.receive().then(text), sleep(300).then(() => "nothing")]);
      return `${d} then ${next}`;
    });
    expect(z.value).toBe("one then nothing");
  }, T);

  test("an unknown routing id is EHOSTUNREACH at once; a lone id frame resolves", async () => {
    const z = await same(async (lib, track: Track) => {
      const s = track(new lib.Stream());
      await s.bind("tcp://127.0.0.1:0");
      const a = await s.send(["nobody", "x"]).then(() => "sent", (e: { code?: string }) => e.code);
      const b = await s.send(["nobody"] as unknown as [string, string]).then(() => "sent", (e: { code?: string }) => e.code);
      return `${a} ${b}`;
    });
    expect(z.value).toBe("EHOSTUNREACH sent");
  }, T);

  test("notify is write-only: it reads undefined, and by number it can be set but not read", async () => {
    const z = await same(async (lib, track: Track) => {
      const s = track(new lib.Stream());
      s.notify = false;
      s.setBoolOption(73, true);
      const read = (() => {
        try {
          return String(s.getBoolOption(73));
        } catch (e) {
          return (e as { code?: string }).code;
        }
      })();
      return `${s.type} ${String(s.notify)} ${read}`;
    });
    expect(z.value).toBe("11 undefined EINVAL");
  }, T);
});

describe("STREAM as a client of a plain TCP server", () => {
  test("connect with a routing id: notification, the server's bytes, its close, and the reconnect", async () => {
    let conns = 0;
    const srv = net.createServer((sock) => {
      conns++;
      sock.on("error", () => {});
      if (conns <= 2) sock.end(`welcome${conns}`);
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const z = await same(async (lib, track: Track) => {
        conns = 0;
        const s = track(new lib.Stream({ reconnectInterval: 50 }));
        const events = watch(s);
        s.connect(`tcp://127.0.0.1:${port}`, { routingId: "me" });
        const out: string[] = [];
        for (let i = 0; i < 7; i++) out.push(text(await s.receive()));
        out.push(`events ${events.slice(0, 11).join(",")}`);
        return out.join("\n");
      });
      expect(z.value).toMatch(/^me\|\nme\|welcome1\nme\|\nme\|\nme\|welcome2\nme\|\nme\|\n/);
    } finally {
      srv.close();
    }
  }, T);

  test("a send before the connection exists waits in the queue and goes out on connect", async () => {
    const z = await same(async (lib, track: Track) => {
      const got: string[] = [];
      const srv = net.createServer((sock) => sock.on("data", (d) => {
        got.push(d.toString());
        sock.end();
      }));
      const s = track(new lib.Stream());
      // a port nobody listens on yet
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
      const port = (srv.address() as net.AddressInfo).port;
      srv.close();
      await sleep(20);
      s.connect(`tcp://127.0.0.1:${port}`, { routingId: "early" });
      await s.send(["early", "queued"]);
      const srv2 = net.createServer((sock) => sock.on("data", (d) => {
        got.push(d.toString());
        sock.end();
      }));
      await new Promise<void>((r) => srv2.listen(port, "127.0.0.1", () => r()));
      try {
        const m = [text(await s.receive()), text(await s.receive())];
        await sleep(50);
        return `${m.join(" ")} server got ${got.join("")}`;
      } finally {
        srv2.close();
      }
    });
    expect(z.value).toBe("early| early| server got queued");
  }, T);
});
