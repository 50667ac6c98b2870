// The engine decodes at most DECODED_AHEAD (256) messages ahead of the reader
// while few bytes wait (lib/engine.ts: fewer live objects, a small V8 young
// generation), but never at the cost of a semantic: once more than MAX_HELD
// (256 KiB) bytes wait it decodes up to the HWM as before, and every message
// arrives once, in order.
import { afterEach, describe, expect, it } from "vitest";
import { Pull } from "../../index.js";
import { RawPeer, frame, greeting, ready } from "./raw-peer.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Messages decoded into the PULL's one pipe, not yet received. */
function decoded(pull: Pull): number {
  const pipes = [...(pull as unknown as { pipes: Set<{ inboundLength: number }> }).pipes];
  expect(pipes.length).toBeLessThanOrEqual(1);
  return pipes[0]?.inboundLength ?? 0;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** n numbered 8-byte messages in one buffer, from `first`. */
function numbered(first: number, n: number): Buffer {
  const out: Buffer[] = [];
  for (let i = first; i < first + n; i++) {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(i);
    out.push(frame(b));
  }
  return Buffer.concat(out);
}

async function connectedPull(rcvhwm: number): Promise<{ pull: Pull; peer: RawPeer }> {
  const pull = new Pull({ linger: 0, receiveHighWaterMark: rcvhwm });
  open.push(pull);
  await pull.bind("tcp://127.0.0.1:*");
  const peer = await RawPeer.connect(pull.lastEndpoint!);
  open.push({ close: () => peer.socket.destroy() });
  peer.write(greeting(), ready("PUSH"));
  await peer.until(() => peer.peerGreeting !== undefined, 5000, "greeting");
  return { pull, peer };
}

async function receiveNumbered(pull: Pull, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [m] = await pull.receive();
    if (m!.readDoubleBE(0) !== i) expect(m!.readDoubleBE(0)).toBe(i);
  }
}

describe("lazy decoding over tcp", () => {
  it("a burst of 5000 small messages: at most 256 decoded ahead of a reader that waits, then all in order", async () => {
    const { pull, peer } = await connectedPull(1000);
    peer.write(numbered(0, 5000)); // 50 KB: far below MAX_HELD
    await until(() => decoded(pull) > 0, "the first messages");
    await new Promise((r) => setTimeout(r, 100)); // time to decode more, if it would
    expect(decoded(pull)).toBe(256);
    await receiveNumbered(pull, 5000);
    expect(decoded(pull)).toBe(0);
  }, 30_000);

  it("past 256 KiB of waiting bytes it decodes up to the HWM, as libzmq fills its pipe", async () => {
    const { pull, peer } = await connectedPull(1000);
    peer.write(numbered(0, 40_000)); // 400 KB
    await until(() => decoded(pull) === 1000, "a full pipe (RCVHWM 1000)");
    await receiveNumbered(pull, 40_000);
  }, 30_000);

  it("with RCVHWM 0 (no limit) a reader that never reads still lets the peer's data in", async () => {
    const { pull, peer } = await connectedPull(0);
    peer.write(numbered(0, 100_000)); // 1 MB
    // everything but the last MAX_HELD bytes is decoded: the stream is never paused
    await until(() => decoded(pull) >= 100_000 - (256 * 1024) / 10, "most of 100 000 messages decoded");
    expect(peer.socket.writableLength).toBe(0);
    await receiveNumbered(pull, 100_000);
  }, 60_000);
});
