// Properties of the ZMTP codec: re-chunking never changes what is decoded, decode(encode(m))
// is m, and garbage only ever decodes or throws ZmqError (never another exception type).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MessageDecoder } from "../../lib/zmtp/message-decoder.js";
import { ZmtpEncoder, LARGE_BODY_THRESHOLD } from "../../lib/zmtp/encoder.js";
import { ZmqError } from "../../lib/core/errors.js";
import type { Msg } from "../../lib/core/message.js";

const T = 60_000;

type Item = { msg: Msg } | { name: string; data: Buffer };

/** Frame bodies: mostly small, with sizes at the 1-byte/8-byte and copy/reference edges. */
const body = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(0, 254, 255, 256, 257, LARGE_BODY_THRESHOLD - 1, LARGE_BODY_THRESHOLD, LARGE_BODY_THRESHOLD + 1, 20_000), fc.integer({ min: 0, max: 255 }))
      .map(([n, seed]) => {
        const b = Buffer.allocUnsafe(n);
        for (let i = 0; i < n; i++) b[i] = (seed + i * 31) & 0xff;
        return b;
      }),
  },
);

const message = fc.array(body, { minLength: 1, maxLength: 6 });
const command = fc.record({
  name: fc.constantFrom("PING", "PONG", "SUBSCRIBE", "CANCEL", "X-CUSTOM", "A".repeat(255)),
  data: body,
});
const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 4, arbitrary: message.map((msg) => ({ msg })) },
  { weight: 1, arbitrary: command },
);

function encodeAll(items: Item[]): Buffer {
  const e = new ZmtpEncoder();
  const out: Buffer[] = [];
  for (const it of items) {
    if ("msg" in it) e.writeMessage(it.msg);
    else e.writeCommand(it.name, it.data);
    // take() at random-ish points too, so batches straddle slabs and takes
    if (e.length > 30_000) out.push(...e.take());
  }
  out.push(...e.take());
  return Buffer.concat(out);
}

/** A comparable rendering of decoded traffic. */
function decodeChunks(chunks: Buffer[], maxMessageSize = -1): string[] {
  const out: string[] = [];
  const d = new MessageDecoder(
    {
      onMessage: (m) => void out.push("M:" + m.map((b) => b.toString("hex")).join(",")),
      onCommand: (name, data) => void out.push("C:" + name + ":" + data.toString("hex")),
    },
    { maxMessageSize },
  );
  for (const c of chunks) d.push(c);
  return out;
}

function render(items: Item[]): string[] {
  return items.map((it) => ("msg" in it ? "M:" + it.msg.map((b) => b.toString("hex")).join(",") : "C:" + it.name + ":" + it.data.toString("hex")));
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (buf.length === 0 ? 0 : c % (buf.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Messages with large bodies, around the size (64 KiB) from which the decoder
 * assembles a body in a buffer of its own and offers it for direct reads. */
const largeBody = fc
  .tuple(fc.constantFrom(65_535, 65_536, 65_537, 100_000, 300_000), fc.integer({ min: 0, max: 255 }))
  .map(([n, seed]) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = (seed + i * 7) & 0xff;
    return b;
  });
const largeItem: fc.Arbitrary<Item> = fc.oneof(
  { weight: 2, arbitrary: fc.array(fc.oneof(body, largeBody), { minLength: 1, maxLength: 3 }).map((msg) => ({ msg })) },
  { weight: 1, arbitrary: command },
);

/** Decodes `wire` as a stream transport with direct reads would: whenever the
 * decoder offers a read target, up to `step` bytes go straight into it;
 * otherwise the next chunk (of up to `step` bytes) is pushed. The sink
 * suspends now and then and is resumed before the next read. */
function decodeDirect(wire: Buffer, steps: number[], suspendEvery: number): { out: string[]; direct: number } {
  const out: string[] = [];
  let n = 0;
  const d = new MessageDecoder(
    {
      onMessage: (m) => {
        out.push("M:" + m.map((b) => b.toString("hex")).join(","));
        return suspendEvery > 0 && ++n % suspendEvery === 0 ? false : undefined;
      },
      onCommand: (name, data) => void out.push("C:" + name + ":" + data.toString("hex")),
    },
    { maxMessageSize: -1 },
  );
  let pos = 0;
  let i = 0;
  let direct = 0;
  for (let guard = 0; pos < wire.length && guard < 1_000_000; guard++) {
    d.resume();
    const step = 1 + ((steps[i++ % steps.length] ?? 65_536) % 200_000);
    const target = d.readTarget(1);
    if (target !== undefined) {
      const k = Math.min(step, target.length, wire.length - pos);
      wire.copy(target, 0, pos, pos + k);
      pos += k;
      direct += k;
      d.wrote(k);
    } else {
      const k = Math.min(step, wire.length - pos);
      // a fresh copy: the read buffer is not the wire
      d.push(Buffer.from(wire.subarray(pos, pos + k)));
      pos += k;
    }
  }
  for (let g = 0; g < 1_000_000 && d.suspended; g++) d.resume();
  return { out, direct };
}

describe("ZMTP codec properties", () => {
  it("decode(encode(m)) = m for random traffic", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 12 }), (items) => {
        expect(decodeChunks([encodeAll(items)])).toEqual(render(items));
      }),
      { numRuns: 150 },
    );
  }, T);

  it("any split into chunks decodes the same as the whole", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 40 }), (items, cuts) => {
        const wire = encodeAll(items);
        expect(decodeChunks(split(wire, cuts))).toEqual(decodeChunks([wire]));
      }),
      { numRuns: 150 },
    );
  }, T);

  it("small traffic fed one byte at a time decodes the same", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (msgs) => {
        const items = msgs.map((msg) => ({ msg }));
        const wire = encodeAll(items);
        const bytes: Buffer[] = [];
        for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
        expect(decodeChunks(bytes)).toEqual(render(items));
      }),
      { numRuns: 50 },
    );
  }, T);

  it("maxMessageSize accepts exactly the messages whose total fits", () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 30_000 }), (msg, limit) => {
        const total = msg.reduce((n, b) => n + b.length, 0);
        const wire = encodeAll([{ msg }]);
        if (total <= limit) {
          expect(decodeChunks([wire], limit)).toEqual(render([{ msg }]));
        } else {
          expect(() => decodeChunks([wire], limit)).toThrow(ZmqError);
        }
      }),
      { numRuns: 150 },
    );
  }, T);

  it("random garbage only decodes or throws ZmqError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: -1, max: 500 }), (bytes, cuts, limit) => {
        try {
          decodeChunks(split(Buffer.from(bytes), cuts), limit);
        } catch (e) {
          expect(e).toBeInstanceOf(ZmqError);
          expect(["EPROTO", "EMSGSIZE"]).toContain((e as ZmqError).code);
        }
      }),
      { numRuns: 500 },
    );
  }, T);

  it("mutated valid streams only decode or throw ZmqError", () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (items, flips, cuts) => {
          const wire = Buffer.from(encodeAll(items));
          for (const [at, v] of flips) wire[at % wire.length] = v;
          try {
            decodeChunks(split(wire, cuts));
          } catch (e) {
            expect(e).toBeInstanceOf(ZmqError);
          }
        },
      ),
      { numRuns: 300 },
    );
  }, T);

  it("large bodies: reads straight into the body, any chunking and suspensions decode the same", () => {
    let directBytes = 0;
    fc.assert(
      fc.property(
        fc.array(largeItem, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 3 }),
        (items, steps, suspendEvery) => {
          const wire = encodeAll(items);
          const { out, direct } = decodeDirect(wire, steps, suspendEvery);
          directBytes += direct;
          expect(out).toEqual(render(items));
        },
      ),
      { numRuns: 60 },
    );
    // the direct path did run (bodies of 100 000 and 300 000 bytes are common)
    expect(directBytes).toBeGreaterThan(0);
  }, T);
});
