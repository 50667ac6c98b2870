// Closing while data is held on either side (found in review): the receiver
// still delivers what it had read when the sender closes, heartbeats never
// cut a lingering close short, a close with a paused inbound side frees its
// connection, a PING flood from a peer that never reads stays bounded, and
// XPUB's queue for the application is bounded by receiveHighWaterMark.
import { readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Dealer, Pull, Push, XPublisher } from "../../index.js";
import { RawPeer, command, greeting, ready, until, sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const fds = () => readdirSync("/proc/self/fd").length;

async function handshaken(push: Push): Promise<void> {
  let done = false;
  push.events.on("handshake", () => (done = true));
  await until(() => done, 5000, "handshake");
}

/** Receive until nothing arrives for `quietMs`, pausing now and then (a slow reader). */
async function slowCount(pull: Pull, quietMs: number): Promise<number> {
  pull.receiveTimeout = quietMs;
  let got = 0;
  for (;;) {
    try {
      await pull.receive();
    } catch {
      return got;
    }
    got++;
    if (got % 20 === 0) await sleep(1);
  }
}

describe("closing with data held", () => {
  it("a sender that closes (linger) while a slow receiver holds read data loses nothing", async () => {
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 5 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    const push = new Push({ sendHighWaterMark: 100000 });
    const hs = handshaken(push);
    push.connect(pull.lastEndpoint!);
    await hs;
    const N = 1000;
    for (let i = 0; i < N; i++) await push.send(Buffer.alloc(1024, 7));
    push.close();
    expect(await slowCount(pull, 1000)).toBe(N);
  }, 30000);

  it("heartbeats during a lingering close do not cut it short", async () => {
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 5 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    const push = new Push({ heartbeatInterval: 20, heartbeatTimeout: 60000, sendHighWaterMark: 100000 });
    const hs = handshaken(push);
    push.connect(pull.lastEndpoint!);
    await hs;
    const N = 3000;
    for (let i = 0; i < N; i++) await push.send(Buffer.alloc(4096, 7));
    await sleep(300); // several PINGs queue behind the data
    push.close();
    expect(await slowCount(pull, 1000)).toBe(N);
  }, 30000);

  it("closing a socket whose inbound side is paused frees the connection", async () => {
    const b = new Dealer({ sendHighWaterMark: 100000, linger: 0 });
    open.push(b);
    await b.bind("tcp://127.0.0.1:*");
    const base = fds();
    for (let round = 0; round < 3; round++) {
      const a = new Dealer({ receiveHighWaterMark: 10 }); // linger -1
      a.connect(b.lastEndpoint!);
      for (let i = 0; i < 1000; i++) await b.send(Buffer.alloc(1024, 7));
      await sleep(200);
      a.close();
    }
    await until(() => fds() <= base, 5000, `fds back to ${base} (now ${fds()})`);
  }, 30000);

  it("a peer that floods PINGs and never reads cannot grow our memory", async () => {
    const d = new Dealer({ linger: 0 });
    open.push(d);
    await d.bind("tcp://127.0.0.1:*");
    const p = await RawPeer.connect(d.lastEndpoint!);
    open.push(p);
    p.write(greeting(), ready("DEALER"));
    await p.until(() => p.peerGreeting !== undefined, 5000, "greeting");
    p.socket.pause();
    const ping = command("PING", Buffer.from([0, 0]));
    const burst = Buffer.concat(new Array(10000).fill(ping));
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 160 && !p.closed; i++) {
      // 160 x 90 KB = 14 MB of PINGs
      p.socket.write(burst);
      await new Promise((r) => setImmediate(r));
    }
    await sleep(300);
    const grown = process.memoryUsage().heapUsed - before;
    // one PONG per PING would hold 1.6 M buffered writes (well over 100 MB)
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  }, 30000);

  it("XPUB keeps at most receiveHighWaterMark notifications for an application that does not read", async () => {
    const xpub = new XPublisher({ linger: 0, receiveHighWaterMark: 100 });
    open.push(xpub);
    await xpub.bind("tcp://127.0.0.1:*");
    const p = await RawPeer.connect(xpub.lastEndpoint!);
    open.push(p);
    const cycle = Buffer.concat([command("SUBSCRIBE", Buffer.from("t")), command("CANCEL", Buffer.from("t"))]);
    p.write(greeting(), ready("SUB"), Buffer.concat(new Array(5000).fill(cycle)));
    await sleep(500);
    xpub.receiveTimeout = 0;
    let n = 0;
    while (n < 20000) {
      try {
        await xpub.receive();
        n++;
      } catch {
        break;
      }
    }
    expect(n).toBe(100);
    // subscriptions still apply: a final SUBSCRIBE is honoured
    p.write(command("SUBSCRIBE", Buffer.from("t")));
    await sleep(200);
    await xpub.send("t-data");
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "t-data"), 5000, "delivery");
  }, 30000);
});
