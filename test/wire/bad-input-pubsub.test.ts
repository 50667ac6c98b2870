// The publisher-side rows of notes/reliability.md §7: oversized and flooding
// subscriptions drop that peer past omq's caps (memory stays bounded), data
// sent to a PUB is discarded; a libzmq SUB on the same socket keeps receiving.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { type Event, Publisher, XPublisher } from "../../index.js";
import { MAX_TOPICS_PER_PEER, MAX_TOPIC_BYTES } from "../../patterns/xpub.js";
import { RawPeer, command, frame, greeting, ready, sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

let events: Event[];
let sub: zmq.Subscriber;
let seq = 0;

async function setup<T extends Publisher | XPublisher>(pub: T): Promise<T> {
  open.push(pub);
  events = [];
  for (const t of ["handshake", "disconnect"] as const) pub.events.on(t, (e) => events.push(e));
  await pub.bind("tcp://127.0.0.1:*");
  sub = new zmq.Subscriber({ linger: 0 });
  open.push(sub);
  sub.subscribe("good");
  sub.connect(pub.lastEndpoint!);
  return pub;
}

/** The good subscriber hears from the publisher (bounded retries: slow joiner). */
async function delivered(pub: Publisher | XPublisher): Promise<void> {
  const body = `good-${seq++}`;
  const got = sub.receive();
  for (let i = 0; i < 500; i++) {
    await pub.send(body);
    const r = await Promise.race([got, sleep(10)]);
    if (r) {
      expect((r as Buffer[])[0]!.toString()).toMatch(/^good-/);
      return;
    }
  }
  throw new Error("the good subscriber received nothing");
}

async function rawSub(address: string): Promise<RawPeer> {
  const p = await RawPeer.connect(address);
  open.push(p);
  p.write(greeting(), ready("SUB"));
  await p.until(() => p.peerGreeting !== undefined, 5000, "greeting");
  return p;
}

describe("subscription floods and oversized topics", () => {
  let xpub: XPublisher;
  beforeEach(async () => {
    xpub = await setup(new XPublisher({ linger: 0 }));
    await delivered(xpub);
  });

  it("a topic over the cap (a 1 MB topic) drops that peer", async () => {
    const p = await rawSub(xpub.lastEndpoint!);
    p.write(command("SUBSCRIBE", Buffer.alloc(1024 * 1024, 0x41)));
    await p.untilClosed();
    expect(MAX_TOPIC_BYTES).toBeLessThan(1024 * 1024);
    await delivered(xpub);
  });

  it("a topic at the cap is accepted", async () => {
    const p = await rawSub(xpub.lastEndpoint!);
    const topic = Buffer.alloc(MAX_TOPIC_BYTES, 0x42);
    p.write(command("SUBSCRIBE", topic));
    let m: Buffer | undefined;
    for (let i = 0; i < 10 && (m === undefined || m.length < 100); i++) [m] = await xpub.receive();
    expect(m!.length).toBe(MAX_TOPIC_BYTES + 1);
    expect(p.closed).toBe(false);
  });

  it("more distinct subscriptions than the cap from one peer drops that peer", async () => {
    const p = await rawSub(xpub.lastEndpoint!);
    const chunk: Buffer[] = [];
    for (let i = 0; i <= MAX_TOPICS_PER_PEER; i++) {
      chunk.push(command("SUBSCRIBE", Buffer.from(`t${i}`)));
      if (chunk.length === 5000) {
        p.write(...chunk.splice(0));
        await new Promise((r) => setImmediate(r));
      }
    }
    p.write(...chunk);
    // drain what the XPUB reports while it reads them
    const reading = (async () => {
      for (;;) await xpub.receive();
    })().catch(() => {});
    await p.untilClosed(20000);
    void reading;
    await delivered(xpub);
  }, 40000);
});

describe("data sent the wrong way", () => {
  it("data messages sent to a PUB are discarded; it keeps publishing", async () => {
    const pub = await setup(new Publisher({ linger: 0 }));
    await delivered(pub);
    const p = await rawSub(pub.lastEndpoint!);
    for (let i = 0; i < 100; i++) p.write(frame(Buffer.alloc(1000, 1), 0x01), frame("tail"));
    await delivered(pub);
    expect(p.closed).toBe(false);
  });

  it("a peer Identity longer than 255 bytes is refused", async () => {
    const pub = await setup(new XPublisher({ linger: 0 }));
    const p = await RawPeer.connect(pub.lastEndpoint!);
    open.push(p);
    const id = "x".repeat(300);
    const props = Buffer.concat([
      Buffer.from([11]), Buffer.from("Socket-Type"), Buffer.from([0, 0, 0, 3]), Buffer.from("SUB"),
      Buffer.from([8]), Buffer.from("Identity"), Buffer.from([0, 0, 1, 44]), Buffer.from(id),
    ]);
    p.write(greeting(), command("READY", props));
    await p.untilClosed();
    await delivered(pub);
  });
});
