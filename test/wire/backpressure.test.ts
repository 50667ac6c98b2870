// Slow consumers (notes/reliability.md §6.1 and §7): Node's socket.write()
// never refuses, so omq must stop writing while the kernel buffer is full and
// let the pipe's HWM decide: PUB drops for that peer only, PUSH waits.
import { afterEach, describe, expect, it } from "vitest";
import { Publisher, Pull, Push, Subscriber } from "../../index.js";
import { RawPeer, command, greeting, ready, sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Send until a send is refused (EAGAIN on sendTimeout) or max is reached. */
async function sendUntilRefused(
  sock: { send(b: Buffer): Promise<void> },
  body: Buffer,
  max: number,
): Promise<{ sent: number; err: { code?: string } | undefined }> {
  let sent = 0;
  for (; sent < max; sent++) {
    try {
      await sock.send(body);
    } catch (e) {
      return { sent, err: e as { code?: string } };
    }
  }
  return { sent, err: undefined };
}

describe("slow consumers over tcp", () => {
  it("a subscriber that never reads: PUB drops for it, memory stays bounded, others keep receiving", async () => {
    const pub = new Publisher({ linger: 0, sendHighWaterMark: 100 });
    open.push(pub);
    await pub.bind("tcp://127.0.0.1:*");
    const stuck = await RawPeer.connect(pub.lastEndpoint!);
    open.push(stuck);
    stuck.write(greeting(), ready("SUB"), command("SUBSCRIBE", Buffer.alloc(0)));
    await stuck.until(() => stuck.peerGreeting !== undefined, 5000, "greeting");
    stuck.socket.pause(); // never read again: the kernel buffers fill, then omq must stop writing

    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 100000 });
    open.push(sub);
    sub.subscribe("");
    sub.connect(pub.lastEndpoint!);
    const body = Buffer.alloc(16 * 1024, 7);
    // slow joiner: publish until the good subscriber hears something
    const first = sub.receive();
    let got = false;
    void first.then(() => (got = true));
    for (let i = 0; i < 2000 && !got; i++) {
      await pub.send(body);
      await new Promise((r) => setImmediate(r));
    }
    expect(got).toBe(true);

    global.gc?.();
    const before = process.memoryUsage().rss;
    // 20 000 x 16 KiB = 320 MB published
    let received = 0;
    const reading = (async () => {
      for (;;) {
        await sub.receive();
        received++;
      }
    })().catch(() => {});
    for (let i = 0; i < 20000; i++) {
      await pub.send(body);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    const grown = process.memoryUsage().rss - before;
    // the stuck peer holds at most HWM messages plus socket buffers (a few MB)
    expect(grown).toBeLessThan(150 * 1024 * 1024);
    const end = Date.now() + 10000;
    while (received < 1000 && Date.now() < end) await sleep(10);
    expect(received).toBeGreaterThan(1000);
    expect(stuck.closed).toBe(false);
    void reading;
  }, 60000);

  it("a PULL peer that stops reading: PUSH waits once HWM and socket buffers are full", async () => {
    const push = new Push({ linger: 0, sendHighWaterMark: 10, sendTimeout: 200 });
    open.push(push);
    await push.bind("tcp://127.0.0.1:*");
    const stuck = await RawPeer.connect(push.lastEndpoint!);
    open.push(stuck);
    stuck.write(greeting(), ready("PULL"));
    await stuck.until(() => stuck.peerGreeting !== undefined, 5000, "greeting");
    stuck.socket.pause();
    const body = Buffer.alloc(64 * 1024, 1);
    const { sent, err } = await sendUntilRefused(push, body, 100000);
    expect(err?.code).toBe("EAGAIN");
    // 10 in the pipe plus what the kernel and one batch hold: far below the 6.5 GB tried
    expect(sent).toBeLessThan(2000);
    expect(sent).toBeGreaterThanOrEqual(10);
  }, 60000);
});

describe("a publisher that never waits", () => {
  for (const hwm of [1000, 50]) it(`a tight \`await pub.send()\` loop still lets the engine write: a fast subscriber gets everything (HWM ${hwm})`, async () => {
    const pub = new Publisher({ linger: 0, sendHighWaterMark: hwm });
    open.push(pub);
    await pub.bind("tcp://127.0.0.1:*");
    const sub = new Subscriber({ linger: 0, receiveHighWaterMark: 0 });
    open.push(sub);
    sub.subscribe("");
    sub.connect(pub.lastEndpoint!);
    // wait until the subscription has reached the publisher
    const first = sub.receive();
    let ok = false;
    void first.then(() => (ok = true));
    for (let i = 0; i < 1000 && !ok; i++) {
      await pub.send("probe");
      await sleep(5);
    }
    expect(ok).toBe(true);
    while (sub.readable) await sub.receive();
    // 20 000 messages, 20x the HWM, sent without ever waiting for the event loop
    const N = 20000;
    const body = Buffer.alloc(64, 1);
    for (let i = 0; i < N; i++) await pub.send(body);
    await pub.send("end");
    let got = 0;
    for (;;) {
      const [m] = await sub.receive();
      if (m!.toString() === "end") break;
      if (m!.length === 64) got++;
    }
    expect(got).toBe(N);
  }, 30000);
});

describe("a receiver that stops reading", () => {
  it("an omq PULL that never reads stops reading its socket, so a libzmq PUSH blocks (TCP pushes back)", async () => {
    const zmq = await import("zeromq");
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 10 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    const push = new zmq.Push({ linger: 0, sendTimeout: 500 });
    open.push(push);
    push.connect(pull.lastEndpoint!);
    const body = Buffer.alloc(1024, 3);
    const { sent, err } = await sendUntilRefused(push, body, 200000);
    expect(err?.code).toBe("EAGAIN");
    // libzmq's own HWM (1000) + both kernel buffers + omq's 10 queued and at most
    // 256 KiB held undecoded: a few MB, far below the 200 MB tried
    expect(sent).toBeLessThan(40000);
    // and nothing was lost: the PULL gets them all, in order, once it reads
    let got = 0;
    pull.receiveTimeout = 2000;
    while (got < sent) {
      await pull.receive();
      got++;
    }
    expect(got).toBe(sent);
  }, 60000);
});
