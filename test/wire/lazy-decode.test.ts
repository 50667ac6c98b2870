// The engine decodes at most DECODED_AHEAD (256) messages ahead of a reader
// that keeps pace (lib/engine.ts: fewer live objects, a small V8 young
// generation), but never at the cost of a semantic: a reader that has not
// caught up within a turn, or more than MAX_HELD (256 KiB) waiting bytes, make
// it decode up to the HWM as before, so PINGs are answered and the peer's
// close is seen; every message arrives once, in order.
import { afterEach, describe, expect, it } from "vitest";
import { Pull } from "../../index.js";
import { eventsSeen, until, RawPeer, command, frame, greeting, ready } from "../helpers.js";

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
  it("a reader that keeps pace: never more than 256 decoded ahead of it, and all 5000 arrive in order", async () => {
    const { pull, peer } = await connectedPull(1000);
    const first = pull.receive();
    peer.write(numbered(0, 5000)); // 50 KB: far below MAX_HELD
    const [m0] = await first;
    expect(m0!.readDoubleBE(0)).toBe(0);
    let most = 0;
    for (let i = 1; i < 5000; i++) {
      most = Math.max(most, decoded(pull));
      const [m] = await pull.receive();
      if (m!.readDoubleBE(0) !== i) expect(m!.readDoubleBE(0)).toBe(i);
    }
    expect(most).toBeGreaterThan(100);
    expect(most).toBeLessThanOrEqual(256);
  }, 30_000);

  it("a reader that does not read: after a turn it decodes up to the HWM, as before", async () => {
    const { pull, peer } = await connectedPull(1000);
    peer.write(numbered(0, 5000));
    await until(() => decoded(pull) === 1000, 5000, "a full pipe (RCVHWM 1000)");
    await receiveNumbered(pull, 5000);
  }, 30_000);

  it("a PING behind 300 messages is answered while the application does not read", async () => {
    const { peer } = await connectedPull(1000);
    peer.write(numbered(0, 300), command("PING", Buffer.from([0, 0, 0x41, 0x42])));
    await peer.until(() => peer.commands().some(([n]) => n === "PONG"), 5000, "PONG");
  }, 30_000);

  it("the peer's close after 300 messages is seen while the application does not read; the messages stay readable", async () => {
    const { pull, peer } = await connectedPull(1000);
    peer.write(numbered(0, 300));
    peer.socket.end();
    await eventsSeen(pull, "disconnect", 1);
    await receiveNumbered(pull, 300);
  }, 30_000);

  it("past 256 KiB of waiting bytes it decodes up to the HWM, as libzmq fills its pipe", async () => {
    const { pull, peer } = await connectedPull(1000);
    peer.write(numbered(0, 40_000)); // 400 KB
    await until(() => decoded(pull) === 1000, 5000, "a full pipe (RCVHWM 1000)");
    await receiveNumbered(pull, 40_000);
  }, 30_000);

  it("with RCVHWM 0 (no limit) a reader that never reads still lets the peer's data in", async () => {
    const { pull, peer } = await connectedPull(0);
    peer.write(numbered(0, 100_000)); // 1 MB
    // everything but the last MAX_HELD bytes is decoded: the stream is never paused
    await until(() => decoded(pull) >= 100_000 - (256 * 1024) / 10, 5000, "most of 100 000 messages decoded");
    expect(peer.socket.writableLength).toBe(0);
    await receiveNumbered(pull, 100_000);
  }, 60_000);
});
