// The byte ring between two threads (transports/threads/ring.ts), driven from
// one thread: a FrameWriter on one end, a FrameReader on the other, over a
// small ring so frames split at its end and stream in pieces larger than it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import { RingQueue } from "../../lib/core/ring-queue.js";
import { createPipeMemory, FrameReader, FrameWriter, PipeMemory, W_POS } from "../../transports/threads/ring.js";

const T = 60_000;

/** A frame of `len` bytes at byte offset `skew` of its ArrayBuffer (so most sources are not 8-aligned). */
function frame(len: number, skew: number, seed: number): Buffer {
  const b = Buffer.allocUnsafeSlow(len + skew).subarray(skew);
  for (let i = 0; i < len; i++) b[i] = (seed + i * 31) & 0xff;
  return b;
}

const frameArb = fc.record({
  len: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 200, max: 700 }), fc.integer({ min: 1000, max: 5000 })),
  skew: fc.integer({ min: 0, max: 7 }),
  seed: fc.integer({ min: 0, max: 255 }),
});

describe("thread ring framing", () => {
  it("random multipart messages (empty to larger than the ring, any source alignment) arrive whole and equal; every published position is a multiple of 8", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(frameArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(256, 1024, 4096),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 8 }),
        (specs, ringBytes, pushes) => {
          const sab = createPipeMemory(ringBytes);
          const a = new PipeMemory(sab, 0);
          const b = new PipeMemory(sab, 1);
          const outbox = new RingQueue<Msg>();
          const writer = new FrameWriter(a, outbox);
          const reader = new FrameReader(b);
          const sent = specs.map((m) => m.map((f) => frame(f.len, f.skew, f.seed)));
          const got = new RingQueue<Msg>();
          let next = 0;
          // bounded: each round either publishes or frees bytes, or all is done
          for (let round = 0, k = 0; round < 100_000 && got.length < sent.length; round++, k++) {
            for (let i = 0; i < pushes[k % pushes.length]! && next < sent.length; i++) outbox.push(sent[next++]!);
            writer.flush();
            expect(a.i32[a.out + W_POS]! & 7).toBe(0);
            reader.pull(got);
          }
          expect(got.length).toBe(sent.length);
          for (const msg of sent) {
            const m = got.shift()!;
            expect(m.length).toBe(msg.length);
            for (let i = 0; i < msg.length; i++) expect(Buffer.compare(m[i]!, msg[i]!)).toBe(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, T);

  it("frames larger than the ring stream through it into one buffer each; bodies read out are 8-aligned in memory", () => {
    const sab = createPipeMemory(256);
    const a = new PipeMemory(sab, 0);
    const b = new PipeMemory(sab, 1);
    const outbox = new RingQueue<Msg>();
    const writer = new FrameWriter(a, outbox);
    const reader = new FrameReader(b);
    const big = frame(10_000, 3, 9);
    outbox.push([frame(5, 1, 1), big]);
    const got = new RingQueue<Msg>();
    let rounds = 0;
    while (got.length === 0 && rounds++ < 1000) {
      writer.flush();
      reader.pull(got);
    }
    const [small, body] = got.shift()!;
    expect(Buffer.compare(small!, frame(5, 1, 1))).toBe(0);
    expect(Buffer.compare(body!, big)).toBe(0);
    expect(body!.byteOffset & 7).toBe(0);
    expect(rounds).toBeGreaterThan(10_000 / 256); // it really went through in pieces
  }, T);
});
