// One test per row of notes/reliability.md §7 (greeting, handshake, frames):
// a raw node:net peer sends the bad bytes; omq must close that connection
// only, emit the matching event, and a well-behaved libzmq peer on the same
// socket completes a round trip before and after.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { Router } from "../../index.js";
import type { EventRecord as Event } from "../../lib/core/events.js";
import { RawPeer, command, frame, greeting, property, ready, sleep } from "../helpers.js";

let router: Router;
let dealer: zmq.Dealer;
let address: string;
let events: Event[];
let seq = 0;
const others: Array<{ close(): void }> = [];

beforeEach(async () => {
  router = new Router({ linger: 0, handshakeInterval: 300, maxMessageSize: 1000 });
  events = [];
  for (const t of ["accept", "handshake", "handshake:error:protocol", "handshake:error:other", "disconnect"] as const) {
    router.events.on(t, (e) => events.push(e));
  }
  await router.bind("tcp://127.0.0.1:*");
  address = router.lastEndpoint!;
  void (async () => {
    for await (const [id, ...rest] of router) await router.send([id!, ...rest]);
  })();
  dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(address);
  await roundTrip();
  events.length = 0;
});

afterEach(() => {
  for (const o of others.splice(0)) o.close();
  dealer.close();
  router.close();
});

async function roundTrip(): Promise<void> {
  const body = `ping-${seq++}`;
  await dealer.send(body);
  const [reply] = await dealer.receive();
  expect(reply!.toString()).toBe(body);
}

async function raw(): Promise<RawPeer> {
  const p = await RawPeer.connect(address);
  others.push(p);
  return p;
}

async function waitEvent(type: string, ms = 5000): Promise<Event> {
  const deadline = Date.now() + ms;
  for (;;) {
    const e = events.find((x) => x.type === type);
    if (e) return e;
    if (Date.now() > deadline) throw new Error(`no ${type} event; got ${events.map((x) => x.type).join(", ")}`);
    await sleep(10);
  }
}

/** Greeting and READY of a well-formed DEALER. */
function goodHandshake(p: RawPeer): void {
  p.write(greeting(), ready("DEALER"));
}

describe("greeting and handshake", () => {
  it("first byte 0 (a ZMTP 1.0 length of 0, invalid): closes at once with handshake:error:protocol", async () => {
    const p = await raw();
    p.write(Buffer.from([0x00, 0x00]));
    await p.untilClosed();
    expect((await waitEvent("handshake:error:protocol")).error?.code).toMatch(/^ERR_ZMTP_|EPROTO/);
    await roundTrip();
  });

  it("an HTTP request instead of a greeting: closes (read as a ZMTP 1.0 identity that never completes: the handshake timeout)", async () => {
    const p = await raw();
    p.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await p.untilClosed();
    await waitEvent("handshake:error:other");
    await roundTrip();
  });

  it("a ZMTP 2.0 greeting of an incompatible socket type (PUB to ROUTER): closes with handshake:error:protocol", async () => {
    const p = await raw();
    p.write(greeting({ major: 1, minor: 1 }));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });

  it("revision 2, neither old nor 3.x: closes with handshake:error:protocol", async () => {
    const p = await raw();
    p.write(greeting({ major: 2 }));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });

  it("major version 2: closes", async () => {
    const p = await raw();
    p.write(greeting({ major: 2 }));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });

  it("major version 4: accepted as 3.1 and data is delivered", async () => {
    const p = await raw();
    p.write(greeting({ major: 4, minor: 0 }), ready("DEALER", "raw4"), frame("hello"));
    // the router echoes: the raw peer gets its message back
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "hello"), 5000, "echo");
    expect(p.peerGreeting![10]).toBe(3);
    await roundTrip();
  });

  it("unknown mechanism name: closes with handshake:error:protocol", async () => {
    const p = await raw();
    p.write(greeting({ mechanism: "BOGUS" }));
    await p.untilClosed();
    expect((await waitEvent("handshake:error:protocol")).error?.code).toBe("ERR_ZMTP_MECHANISM_MISMATCH");
    await roundTrip();
  });

  it("a different mechanism than configured (PLAIN as server): closes", async () => {
    const p = await raw();
    p.write(greeting({ mechanism: "PLAIN", asServer: true }));
    await p.untilClosed();
    expect((await waitEvent("handshake:error:protocol")).error?.code).toBe("ERR_ZMTP_MECHANISM_MISMATCH");
    await roundTrip();
  });

  it("TCP connect then silence: closed after handshakeInterval", async () => {
    const p = await raw();
    await p.untilClosed(5000);
    expect((await waitEvent("handshake:error:other")).error?.code).toBe("EAGAIN");
    await roundTrip();
  });

  it("half a greeting then silence: closed after handshakeInterval", async () => {
    const p = await raw();
    p.write(greeting().subarray(0, 32));
    await p.untilClosed(5000);
    await waitEvent("handshake:error:other");
    await roundTrip();
  });

  it("greeting one byte at a time within the interval: succeeds", async () => {
    const p = await raw();
    const bytes = Buffer.concat([greeting(), ready("DEALER", "slow"), frame("bytewise")]);
    for (let i = 0; i < bytes.length; i++) {
      p.write(bytes.subarray(i, i + 1));
      if (i % 16 === 0) await sleep(1);
    }
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "bytewise"), 5000, "echo");
    expect(p.closed).toBe(false);
    await roundTrip();
  });

  it("a data frame before READY: closes with a protocol error", async () => {
    const p = await raw();
    p.write(greeting(), frame("too early"));
    await p.untilClosed();
    expect((await waitEvent("handshake:error:protocol")).error?.code).toBe("ERR_ZMTP_UNEXPECTED_COMMAND");
    await roundTrip();
  });

  it("READY with an incompatible Socket-Type: closes with handshake:error:protocol", async () => {
    const p = await raw();
    p.write(greeting(), ready("PUB"));
    await p.untilClosed();
    expect((await waitEvent("handshake:error:protocol")).error?.code).toBe("ERR_ZMTP_INVALID_METADATA");
    await roundTrip();
  });

  it("READY without Socket-Type: closes (RFC 37 requires it)", async () => {
    const p = await raw();
    p.write(greeting(), ready(undefined, "noname"));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });

  it("READY metadata value length 0xFFFFFFFF: closes", async () => {
    const p = await raw();
    const prop = property("Socket-Type", "DEALER");
    prop.writeUInt32BE(0xffffffff, 1 + "Socket-Type".length);
    p.write(greeting(), command("READY", prop));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });

  it("ERROR command during the handshake: closes and reports the reason", async () => {
    const p = await raw();
    const reason = "go away";
    p.write(greeting(), command("ERROR", Buffer.concat([Buffer.from([reason.length]), Buffer.from(reason)])));
    await p.untilClosed();
    const e = await waitEvent("handshake:error:protocol");
    expect(e.error?.message).toContain(reason);
    await roundTrip();
  });

  it("4 KiB of random garbage: closes", async () => {
    const p = await raw();
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 0xff;
    junk[0] = 0x42;
    p.write(junk);
    await p.untilClosed();
    // read as a ZMTP 1.0 peer (RFC 13 does not validate an identity frame),
    // whose next frame sets reserved flag bits
    const e = await waitEvent("disconnect");
    expect(e.error?.code).toBe("EPROTO");
    await roundTrip();
  });
});

describe("old peers' greetings gone wrong (the staged greeting)", () => {
  it("a peer that stops after the signature: closed after handshakeInterval", async () => {
    const p = await raw();
    p.write(greeting().subarray(0, 10));
    await p.untilClosed();
    await waitEvent("handshake:error:other");
    await roundTrip();
  });

  /** A ZMTP 2.0 DEALER's greeting and identity frame (RFC 15). */
  const v2Dealer = () => Buffer.concat([greeting().subarray(0, 10), Buffer.of(1, 5), Buffer.of(0, 2), Buffer.from("v2")]);

  it("a ZMTP 2.0 peer sending a frame with the COMMAND bit (none exist at 2.0): closes", async () => {
    const p = await raw();
    p.write(v2Dealer(), Buffer.from([0x04, 0x05, 0x04]), Buffer.from("PING"));
    await p.untilClosed();
    expect((await waitEvent("disconnect")).error?.code).toBe("EPROTO");
    await roundTrip();
  });

  it("a ZMTP 2.0 peer declaring a frame over maxMessageSize: closes at the header", async () => {
    const p = await raw();
    const header = Buffer.alloc(9);
    header[0] = 0x02;
    header.writeBigUInt64BE(1n << 30n, 1);
    p.write(v2Dealer(), header);
    await p.untilClosed();
    expect((await waitEvent("disconnect")).error?.code).toBe("EMSGSIZE");
    await roundTrip();
  });

  it("a ZMTP 1.0 peer sending frames with reserved flag bits: closes", async () => {
    const p = await raw();
    p.write(Buffer.from([0x01, 0x00]), Buffer.from([0x03, 0x80, 0x41, 0x42]));
    await p.untilClosed();
    expect((await waitEvent("disconnect")).error?.code).toBe("EPROTO");
    await roundTrip();
  });

  it("a ZMTP 1.0 peer declaring a frame over maxMessageSize: closes at the header", async () => {
    const p = await raw();
    const header = Buffer.alloc(10);
    header[0] = 0xff;
    header.writeBigUInt64BE(1n << 30n, 1);
    p.write(Buffer.from([0x01, 0x00]), header);
    await p.untilClosed();
    expect((await waitEvent("disconnect")).error?.code).toBe("EMSGSIZE");
    await roundTrip();
  });

  it("a ZMTP 1.0 identity longer than 255 bytes: closes", async () => {
    const p = await raw();
    const header = Buffer.alloc(10);
    header[0] = 0xff;
    header.writeBigUInt64BE(300n, 1);
    p.write(header, Buffer.alloc(299, 1));
    await p.untilClosed();
    await waitEvent("handshake:error:protocol");
    await roundTrip();
  });
});

describe("frames and commands after the handshake", () => {
  async function handshaken(identity?: string): Promise<RawPeer> {
    const p = await raw();
    p.write(greeting(), ready("DEALER", identity));
    await waitEvent("handshake");
    events.length = 0;
    return p;
  }

  it("frame size 2^62: closes before allocating", async () => {
    const p = await handshaken();
    const h = Buffer.alloc(9);
    h[0] = 0x02;
    h.writeBigUInt64BE(2n ** 62n, 1);
    p.write(h);
    await p.untilClosed();
    await waitEvent("disconnect");
    await roundTrip();
  });

  it("a frame above maxMessageSize: closes that connection only", async () => {
    const p = await handshaken();
    p.write(frame(Buffer.alloc(1001)));
    await p.untilClosed();
    const d = await waitEvent("disconnect");
    expect(d.error?.code).toBe("EMSGSIZE");
    await roundTrip();
  });

  it("endless MORE frames each under the limit: closes once the message exceeds it", async () => {
    const p = await handshaken();
    const part = frame(Buffer.alloc(200), 0x01);
    for (let i = 0; i < 10 && !p.closed; i++) p.write(part);
    await p.untilClosed();
    expect((await waitEvent("disconnect")).error?.code).toBe("EMSGSIZE");
    await roundTrip();
  });

  it("reserved flag bits set (0xF0): ignored, the message is delivered", async () => {
    const p = await handshaken("flags");
    p.write(frame("flagged", 0xf0));
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "flagged"), 5000, "echo");
    expect(p.closed).toBe(false);
    await roundTrip();
  });

  it("a command frame with MORE set: closes", async () => {
    const p = await handshaken();
    p.write(frame(Buffer.concat([Buffer.from([4]), Buffer.from("PING"), Buffer.from([0, 0])]), 0x05));
    await p.untilClosed();
    await waitEvent("disconnect");
    await roundTrip();
  });

  it("an unknown command after READY: ignored", async () => {
    const p = await handshaken("unknown");
    p.write(command("WHATEVER", Buffer.from("x")), frame("still here"));
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "still here"), 5000, "echo");
    expect(p.closed).toBe(false);
  });

  it("PING with a 16-byte context: PONG echoes it", async () => {
    const p = await handshaken();
    const ctx = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) ctx[i] = i;
    p.write(command("PING", Buffer.concat([Buffer.from([0, 0]), ctx])));
    await p.until(() => p.commands().some(([n]) => n === "PONG"), 5000, "PONG");
    const [, data] = p.commands().find(([n]) => n === "PONG")!;
    expect([...data]).toEqual([...ctx]);
  });

  it("PING with a 100-byte context (RFC 37 allows 16): closes, no PONG", async () => {
    const p = await handshaken();
    p.write(command("PING", Buffer.concat([Buffer.from([0, 0]), Buffer.alloc(100, 7)])));
    await p.untilClosed();
    expect(p.commands().some(([n]) => n === "PONG")).toBe(false);
    await waitEvent("disconnect");
    await roundTrip();
  });

  it("PING shorter than 7 bytes (no TTL): closes, never answers with stray bytes", async () => {
    const p = await handshaken();
    p.write(command("PING"));
    await p.untilClosed();
    expect(p.commands().some(([n]) => n === "PONG")).toBe(false);
    await waitEvent("disconnect");
    await roundTrip();
  });

  it("SUBSCRIBE and CANCEL to a ROUTER: ignored", async () => {
    const p = await handshaken("subs");
    p.write(command("SUBSCRIBE", Buffer.from("topic")), command("CANCEL", Buffer.from("unknown")), frame("after subs"));
    await p.until(() => p.messages().some((m) => m[0]?.toString() === "after subs"), 5000, "echo");
    expect(p.closed).toBe(false);
  });

  it("disconnect in the middle of a multipart message: nothing is delivered", async () => {
    const p = await handshaken("partial");
    p.write(frame("part-1", 0x01), frame("part-2", 0x01));
    await sleep(50);
    p.close();
    await waitEvent("disconnect");
    await roundTrip();
    // only the dealer's round trip came through: the router received nothing else
    expect(router.readable).toBe(false);
  });

  it("two peers with the same routing id: the second is refused without handover", async () => {
    const a = await handshaken("twin");
    a.write(frame("from-a"));
    await a.until(() => a.messages().length > 0, 5000, "echo to a");
    const b = await raw();
    b.write(greeting(), ready("DEALER", "twin"), frame("from-b"));
    await sleep(200);
    expect(b.messages().length).toBe(0);
    // replies to "twin" still go to the first peer
    await router.send(["twin", "for-twin"]);
    await a.until(() => a.messages().some((m) => m[0]?.toString() === "for-twin"), 5000, "reply to a");
    expect(b.messages().length).toBe(0);
    await roundTrip();
  });
});

describe("random bytes (fast-check)", () => {
  it("garbage after a valid handshake never crashes the socket; a good peer keeps working", async () => {
    const fc = await import("fast-check");
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.boolean(), async (bytes, handshakeFirst) => {
        const p = await raw();
        if (handshakeFirst) p.write(greeting(), ready("DEALER"));
        p.write(Buffer.from(bytes));
        // either it is closed as a protocol error or the bytes were valid frames
        await Promise.race([p.untilClosed(1000).catch(() => {}), sleep(50)]);
        p.close();
        await roundTrip();
      }),
      { numRuns: 40 },
    );
  }, 60000);
});
