// Connection lifecycle over tcp and ipc: connect before bind, reconnect after a
// peer restart, linger, heartbeats, the zeromq.js event sequences, and the
// endpoint errors of each transport.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Dealer, Publisher, Pull, Push, Reply, Request, Router, Subscriber } from "../../index.js";
import type { EventRecord as Event } from "../../lib/core/events.js";
import { RawPeer, greeting, ready, settled, until, sleep } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "omq-wire-"));
let n = 0;
const ipc = () => `ipc://${join(dir, `s${n++}.sock`)}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: Array<{ close(): void }> = [];
function track<T extends { close(): void }>(s: T): T {
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function record(sock: { events: { on(t: Event["type"], f: (e: Event) => void): unknown } }, types: Event["type"][]): Event[] {
  const out: Event[] = [];
  for (const t of types) sock.events.on(t, (e) => out.push(e));
  return out;
}

/** A free tcp port: bind, read, release. */
async function freePort(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

for (const transport of ["tcp", "ipc"] as const) {
  describe(`lifecycle over ${transport}`, () => {
    const address = async () => (transport === "tcp" ? `tcp://127.0.0.1:${await freePort()}` : ipc());

    it("connect before bind: messages queued before the peer exists are delivered", async () => {
      const addr = await address();
      const push = track(new Push({ linger: 0, reconnectInterval: 20 }));
      push.connect(addr);
      await push.send("queued-1");
      await push.send("queued-2");
      const pull = track(new Pull({ linger: 0 }));
      await pull.bind(addr);
      expect((await pull.receive())[0]!.toString()).toBe("queued-1");
      expect((await pull.receive())[0]!.toString()).toBe("queued-2");
    });

    it("a peer restart: the connecter reconnects and traffic resumes", async () => {
      const addr = await address();
      let rep = track(new Reply({ linger: 0 }));
      await rep.bind(addr);
      const req = track(new Request({ linger: 0, reconnectInterval: 20 }));
      const ev = record(req, ["connect", "disconnect", "connect:retry", "handshake"]);
      req.connect(addr);
      await req.send("one");
      expect((await rep.receive())[0]!.toString()).toBe("one");
      await rep.send("1");
      await req.receive();
      rep.close();
      await until(() => ev.some((e) => e.type === "disconnect"), 5000, "disconnect");
      rep = track(new Reply({ linger: 0 }));
      await rep.bind(addr);
      await until(() => ev.filter((e) => e.type === "handshake").length >= 2, 5000, "second handshake");
      await req.send("two");
      expect((await rep.receive())[0]!.toString()).toBe("two");
      expect(ev.some((e) => e.type === "connect:retry")).toBe(true);
    });

    it("linger on close flushes queued messages to a connected peer", async () => {
      const addr = await address();
      const pull = track(new Pull({ linger: 0 }));
      await pull.bind(addr);
      const push = new Push({ linger: 2000 });
      const ev = record(push, ["handshake"]);
      push.connect(addr);
      await until(() => ev.length > 0, 5000, "handshake");
      const N = 500;
      for (let i = 0; i < N; i++) await push.send(`m${i}`);
      push.close();
      for (let i = 0; i < N; i++) expect((await pull.receive())[0]!.toString()).toBe(`m${i}`);
    });

    it("linger 0 drops unsent messages and close returns at once", async () => {
      const addr = await address();
      const push = new Push({ linger: 0 });
      push.connect(addr); // nobody there
      await push.send("lost");
      push.close();
      const pull = track(new Pull({ linger: 0, receiveTimeout: 200 }));
      await pull.bind(addr);
      await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    });

    it("events: connect:delay (tcp only: a unix connect is done at once, as libzmq reports it), connect, handshake on the connecter; accept, handshake on the binder", async () => {
      const addr = await address();
      const router = track(new Router({ linger: 0 }));
      const rev = record(router, ["bind", "accept", "handshake", "disconnect", "close"]);
      await router.bind(addr);
      const dealer = track(new Dealer({ linger: 0 }));
      const dev = record(dealer, ["connect:delay", "connect", "handshake"]);
      dealer.connect(router.lastEndpoint!);
      const expected = transport === "tcp" ? ["connect:delay", "connect", "handshake"] : ["connect", "handshake"];
      await until(() => dev.length >= expected.length && rev.length >= 3, 5000, "handshakes");
      expect(dev.map((e) => e.type)).toEqual(expected);
      expect(rev.map((e) => e.type)).toEqual(["bind", "accept", "handshake"]);
      expect(rev[0]!.address).toBe(router.lastEndpoint);
      dealer.close();
      await until(() => rev.some((e) => e.type === "disconnect"), 5000, "disconnect");
      router.close();
      await settled(); // listeners run in a microtask of their own, never inside close()
      expect(rev.at(-1)!.type).toBe("close");
    });

    it("disconnect() drops the connection and stops retrying; unbind() stops accepting", async () => {
      const addr = await address();
      const pull = track(new Pull({ linger: 0 }));
      const pev = record(pull, ["handshake", "disconnect"]);
      await pull.bind(addr);
      const push = track(new Push({ linger: 0, reconnectInterval: 20 }));
      const ev = record(push, ["connect:retry", "handshake"]);
      push.connect(addr);
      await until(() => pev.length >= 1, 5000, "handshake");
      push.disconnect(addr);
      await until(() => pev.some((e) => e.type === "disconnect"), 5000, "disconnect");
      await sleep(100);
      expect(ev.filter((e) => e.type === "handshake").length).toBe(1);
      expect(() => push.disconnect(addr)).toThrow(expect.objectContaining({ code: "ENOENT" }));
      await pull.unbind(pull.lastEndpoint!);
      await expect(pull.unbind(pull.lastEndpoint!)).rejects.toMatchObject({ code: "ENOENT" });
    });

    it("a second bind of the same address is EADDRINUSE", async () => {
      const addr = await address();
      const a = track(new Pull({ linger: 0 }));
      await a.bind(addr);
      const b = track(new Pull({ linger: 0 }));
      await expect(b.bind(a.lastEndpoint!)).rejects.toMatchObject({ code: "EADDRINUSE" });
    });

    it("immediate: no pipe before the connection, so sends wait instead of queuing", async () => {
      const addr = await address();
      const push = track(new Push({ linger: 0, immediate: true, sendTimeout: 100 }));
      push.connect(addr);
      await expect(push.send("nobody")).rejects.toMatchObject({ code: "EAGAIN" });
      const pull = track(new Pull({ linger: 0 }));
      await pull.bind(addr);
      push.sendTimeout = 5000;
      await push.send("now");
      expect((await pull.receive())[0]!.toString()).toBe("now");
    });

    it("SUB re-sends its subscriptions after the publisher restarts", async () => {
      const addr = await address();
      let pub = track(new Publisher({ linger: 0 }));
      await pub.bind(addr);
      const sub = track(new Subscriber({ linger: 0, reconnectInterval: 20 }));
      const ev = record(sub, ["handshake"]);
      sub.subscribe("t");
      sub.connect(addr);
      const receiveOne = async (p: Publisher) => {
        const got = sub.receive();
        for (let i = 0; i < 400; i++) {
          await p.send("t-hello");
          const r = await Promise.race([got, sleep(10)]);
          if (r) return r as Buffer[];
        }
        throw new Error("no delivery");
      };
      expect((await receiveOne(pub))[0]!.toString()).toBe("t-hello");
      pub.close();
      pub = track(new Publisher({ linger: 0 }));
      await pub.bind(addr);
      await until(() => ev.length >= 2, 5000, "re-handshake");
      expect((await receiveOne(pub))[0]!.toString()).toBe("t-hello");
    });
  });
}

describe("tcp specifics", () => {
  it("refused connects report connect:delay, close, connect:retry with the interval", async () => {
    const port = await freePort();
    const push = track(new Push({ linger: 0, reconnectInterval: 30 }));
    const ev = record(push, ["connect:delay", "close", "connect:retry"]);
    push.connect(`tcp://127.0.0.1:${port}`);
    await until(() => ev.filter((e) => e.type === "connect:retry").length >= 2, 5000, "retries");
    expect(ev.slice(0, 3).map((e) => e.type)).toEqual(["connect:delay", "close", "connect:retry"]);
    const retry = ev.find((e) => e.type === "connect:retry")!;
    // libzmq: the interval plus up to one interval of jitter
    expect(retry.interval).toBeGreaterThanOrEqual(30);
    expect(retry.interval).toBeLessThan(60);
  });

  it("reconnectMaxInterval doubles the interval up to the max", async () => {
    const port = await freePort();
    const push = track(new Push({ linger: 0, reconnectInterval: 10, reconnectMaxInterval: 40 }));
    const ev = record(push, ["connect:retry"]);
    push.connect(`tcp://127.0.0.1:${port}`);
    await until(() => ev.length >= 4, 5000, "retries");
    expect(ev.slice(0, 4).map((e) => e.interval)).toEqual([10, 20, 40, 40]);
  });

  it("port * and 0 pick a free port reported by lastEndpoint; IPv6 loopback works", async () => {
    const a = track(new Pull({ linger: 0 }));
    await a.bind("tcp://127.0.0.1:0");
    expect(a.lastEndpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const b = track(new Pull({ linger: 0, ipv6: true }));
    await b.bind("tcp://[::1]:*");
    expect(b.lastEndpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
    const push = track(new Push({ linger: 0, ipv6: true }));
    push.connect(b.lastEndpoint!);
    await push.send("over v6");
    expect((await b.receive())[0]!.toString()).toBe("over v6");
  });

  it("a host name resolves (localhost)", async () => {
    const pull = track(new Pull({ linger: 0 }));
    await pull.bind("tcp://127.0.0.1:*");
    const port = pull.lastEndpoint!.split(":").pop();
    const push = track(new Push({ linger: 0 }));
    push.connect(`tcp://localhost:${port}`);
    await push.send("by name");
    expect((await pull.receive())[0]!.toString()).toBe("by name");
  });

  it("heartbeats: a peer that stops answering PINGs is dropped within the timeout", async () => {
    const router = track(new Router({ linger: 0, heartbeatInterval: 50, heartbeatTimeout: 150 }));
    const ev = record(router, ["handshake", "disconnect"]);
    await router.bind("tcp://127.0.0.1:*");
    const p = await RawPeer.connect(router.lastEndpoint!);
    track(p);
    p.write(greeting(), ready("DEALER"));
    await until(() => ev.length >= 1, 5000, "handshake");
    await p.until(() => p.commands().some(([n]) => n === "PING"), 5000, "PING");
    // the raw peer never answers: the router must drop it
    await p.untilClosed(5000);
    const d = await (async () => {
      await until(() => ev.some((e) => e.type === "disconnect"), 5000, "disconnect");
      return ev.find((e) => e.type === "disconnect")!;
    })();
    expect(d.error?.code).toBe("ETIMEDOUT");
  });

  it("heartbeats: a peer that answers PINGs stays connected", async () => {
    const router = track(new Router({ linger: 0, heartbeatInterval: 30, heartbeatTimeout: 100 }));
    await router.bind("tcp://127.0.0.1:*");
    const dealer = track(new Dealer({ linger: 0, heartbeatInterval: 30, heartbeatTimeout: 100 }));
    const ev = record(dealer, ["disconnect"]);
    dealer.connect(router.lastEndpoint!);
    await dealer.send("x");
    await router.receive();
    await sleep(400);
    expect(ev).toEqual([]);
  });

  it("heartbeatTimeToLive: the peer drops us when we go silent past the TTL", async () => {
    const router = track(new Router({ linger: 0 }));
    const ev = record(router, ["disconnect"]);
    await router.bind("tcp://127.0.0.1:*");
    const p = await RawPeer.connect(router.lastEndpoint!);
    track(p);
    // PING with TTL 2 deciseconds, then silence
    const ping = Buffer.concat([Buffer.from([0x04, 7, 4]), Buffer.from("PING"), Buffer.from([0, 2])]);
    p.write(greeting(), ready("DEALER"), ping);
    await p.untilClosed(5000);
    await until(() => ev.length > 0, 5000, "disconnect");
  });

  it("connectTimeout bounds an attempt the peer never answers", async () => {
    // A listener that never accepts, with its accept queue full: Linux then drops
    // further SYNs, so a connect hangs (Node always accepts, so python3 listens).
    const { spawn } = await import("node:child_process");
    const { connect } = await import("node:net");
    const py = spawn("python3", ["-c", [
      "import socket,sys,time",
      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)",
      "print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(30)",
    ].join("\n")], { stdio: ["ignore", "pipe", "inherit"] });
    const fillers: Array<{ destroy(): void }> = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        py.stdout!.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
        py.once("error", reject);
      });
      for (let i = 0; i < 3; i++) {
        const c = connect({ host: "127.0.0.1", port });
        c.on("error", () => {});
        fillers.push(c);
      }
      await sleep(100);
      const slow = track(new Push({ linger: 0 }));
      const slowEv = record(slow, ["connect:delay", "close"]);
      slow.connect(`tcp://127.0.0.1:${port}`);
      const push = track(new Push({ linger: 0, connectTimeout: 100, reconnectInterval: 1000 }));
      const ev = record(push, ["connect:delay", "close", "connect:retry"]);
      push.connect(`tcp://127.0.0.1:${port}`);
      await until(() => ev.some((e) => e.type === "connect:retry"), 5000, "timed-out attempt");
      expect(ev.slice(0, 3).map((e) => e.type)).toEqual(["connect:delay", "close", "connect:retry"]);
      // without connectTimeout the same attempt is still pending
      expect(slowEv.map((e) => e.type)).toEqual(["connect:delay"]);
    } finally {
      for (const f of fillers) f.destroy();
      py.kill();
    }
  });
});

describe("ipc specifics", () => {
  it("a stale socket file from a dead process is replaced", async () => {
    const path = join(dir, `stale${n++}.sock`);
    // a socket file nobody listens on: make one, then close its server without unlinking
    const s = createServer();
    await new Promise<void>((r) => s.listen(path, r));
    // simulate a crash: copy the inode away so close() cannot unlink ours
    const { renameSync, linkSync } = await import("node:fs");
    linkSync(path, `${path}.keep`);
    await new Promise((r) => s.close(r));
    renameSync(`${path}.keep`, path);
    expect(existsSync(path)).toBe(true);
    const pull = track(new Pull({ linger: 0 }));
    await pull.bind(`ipc://${path}`);
    const push = track(new Push({ linger: 0 }));
    push.connect(`ipc://${path}`);
    await push.send("fresh");
    expect((await pull.receive())[0]!.toString()).toBe("fresh");
  });

  it("a live socket file is EADDRINUSE", async () => {
    const addr = ipc();
    const a = track(new Pull({ linger: 0 }));
    await a.bind(addr);
    const b = track(new Pull({ linger: 0 }));
    await expect(b.bind(addr)).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  it("a regular file in the way is not deleted", async () => {
    const path = join(dir, `file${n++}`);
    writeFileSync(path, "precious");
    const a = track(new Pull({ linger: 0 }));
    await expect(a.bind(`ipc://${path}`)).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(existsSync(path)).toBe(true);
  });

  it("a path too long for a unix socket is ENAMETOOLONG, never truncated", async () => {
    const long = `ipc://${join(dir, "x".repeat(120))}`;
    const a = track(new Pull({ linger: 0 }));
    await expect(a.bind(long)).rejects.toMatchObject({ code: "ENAMETOOLONG" });
    const b = track(new Push({ linger: 0 }));
    expect(() => b.connect(long)).toThrow(expect.objectContaining({ code: "ENAMETOOLONG" }));
  });

  it("abstract namespace (ipc://@name) works between omq sockets", async () => {
    const name = `ipc://@omq-test-${process.pid}-${n++}`;
    const pull = track(new Pull({ linger: 0 }));
    await pull.bind(name);
    expect(pull.lastEndpoint).toBe(name);
    const push = track(new Push({ linger: 0 }));
    push.connect(name);
    await push.send("abstract");
    expect((await pull.receive())[0]!.toString()).toBe("abstract");
  });

  it("ipc://* binds a fresh path and unbinding removes the file", async () => {
    const pull = track(new Pull({ linger: 0 }));
    await pull.bind("ipc://*");
    const path = pull.lastEndpoint!.slice("ipc://".length);
    expect(existsSync(path)).toBe(true);
    await pull.unbind(pull.lastEndpoint!);
    await until(() => !existsSync(path), 2000, "socket file removed");
    await until(() => !existsSync(dirname(path)), 2000, "the directory it made removed");
  });
});
