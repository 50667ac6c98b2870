// CURVE properties: random key pairs handshake and carry random multipart
// messages intact; the MESSAGE nonce strictly increases over 2^16 frames (and
// across its 32-bit halves), and the receiving side accepts exactly the boxes
// that come in order.
import fc from "fast-check";
import sodium from "libsodium-wrappers-sumo";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { Dealer, Router, curveKeyPair } from "../../index.js";
import { FLAG_MORE } from "../../lib/zmtp/constants.js";
import type { FrameEncoder, FrameSink } from "../../lib/zmtp/framing.js";
import { CurveTransform } from "../../lib/zmtp/mechanisms/curve-transform.js";
import { type Sodium, frameBoxes, loadSodium } from "../../lib/zmtp/mechanisms/sodium.js";
import { within } from "../helpers.js";

let s: Sodium;
beforeAll(async () => {
  s = await loadSodium();
  await sodium.ready;
});
const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const x of open.splice(0)) x.close();
});

test("random key pairs handshake and exchange random multipart messages", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
      async (messages) => {
        const sk = curveKeyPair();
        const ck = curveKeyPair();
        const r = new Router({ linger: 0, curveServer: true, curveSecretKey: sk.secretKey, receiveTimeout: 5000 });
        const d = new Dealer({ linger: 0, curveServerKey: sk.publicKey, curvePublicKey: ck.publicKey, curveSecretKey: ck.secretKey, receiveTimeout: 5000 });
        open.push(r, d);
        try {
          await r.bind("tcp://127.0.0.1:*");
          d.connect(r.lastEndpoint!);
          for (const m of messages) {
            await d.send(m.map((p) => Buffer.from(p)));
            const [id, ...got] = await within(r.receive(), 6000, "a message through CURVE");
            expect(got.map((b) => b.toString("hex"))).toEqual(m.map((p) => Buffer.from(p).toString("hex")));
            await r.send([id!, ...got]);
            const back = await within(d.receive(), 6000, "the echo through CURVE");
            expect(back.map((b) => b.toString("hex"))).toEqual(m.map((p) => Buffer.from(p).toString("hex")));
          }
        } finally {
          r.close();
          d.close();
        }
      },
    ),
    { numRuns: 8 },
  );
}, 120_000);

/** An encoder that keeps each sealed frame (the transform only needs frameSpace). */
function collector(): FrameEncoder & { frames: Buffer[] } {
  const frames: Buffer[] = [];
  const unused = () => {
    throw new Error("not used by the transform");
  };
  return {
    frames,
    length: 0,
    lastBatch: 0,
    frameSpace: (_flags: number, size: number) => {
      const b = Buffer.alloc(size);
      frames.push(b);
      return b;
    },
    writeMessage: unused,
    writeFrame: unused,
    writeCommand: unused,
    commandSpace: unused,
    take: () => [],
    released: () => {},
  };
}

function pair(nextSend = 3, peerLast = { hi: 0, lo: 2 }): { tx: CurveTransform; rx: CurveTransform } {
  const a = sodium.crypto_box_keypair();
  const b = sodium.crypto_box_keypair();
  const k1 = s.crypto_box_beforenm(b.publicKey, a.privateKey);
  const k2 = s.crypto_box_beforenm(a.publicKey, b.privateKey);
  const boxes = frameBoxes(s);
  return {
    tx: new CurveTransform(boxes, k1, "CurveZMQMESSAGEC", "CurveZMQMESSAGES", nextSend, { hi: 0, lo: 0 }),
    rx: new CurveTransform(boxes, k2, "CurveZMQMESSAGES", "CurveZMQMESSAGEC", 1, peerLast),
  };
}

function sinkInto(out: Array<{ flags: number; body: string }>): FrameSink {
  return { frameHeader: () => {}, frame: (flags, body) => void out.push({ flags, body: body.toString("hex") }) };
}

describe("MESSAGE nonces", () => {
  test("2^16 sealed frames carry strictly increasing, never repeated nonces, and all open in order", () => {
    const { tx, rx } = pair();
    const enc = collector();
    const N = 1 << 16;
    for (let i = 0; i < N; i++) tx.seal(i % 3 === 0 ? FLAG_MORE : 0, Buffer.of(i & 0xff, i >> 8), enc);
    const nonces = enc.frames.map((f) => f.readBigUInt64BE(8));
    for (let i = 1; i < N; i++) expect(nonces[i]! > nonces[i - 1]!).toBe(true);
    expect(new Set(nonces.map(String)).size).toBe(N);
    const got: Array<{ flags: number; body: string }> = [];
    const sink = sinkInto(got);
    for (const f of enc.frames) rx.open(0, f, sink);
    expect(got).toHaveLength(N);
    expect(got[300]).toEqual({ flags: FLAG_MORE, body: Buffer.of(300 & 0xff, 300 >> 8).toString("hex") });
  });

  test("the counter carries across its 32-bit halves", () => {
    const { tx, rx } = pair(2 ** 32 - 2, { hi: 0, lo: 2 ** 32 - 3 });
    const enc = collector();
    for (let i = 0; i < 4; i++) tx.seal(0, Buffer.of(i), enc);
    expect(enc.frames.map((f) => f.readBigUInt64BE(8))).toEqual([2n ** 32n - 2n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n]);
    const got: Array<{ flags: number; body: string }> = [];
    for (const f of enc.frames) rx.open(0, f, sinkInto(got));
    expect(got.map((g) => g.body)).toEqual(["00", "01", "02", "03"]);
  });

  test("a receiver accepts a sequence of boxes exactly when each nonce is above every earlier one", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 19 }), { minLength: 1, maxLength: 12 }), (order) => {
        const { tx, rx } = pair();
        const enc = collector();
        for (let i = 0; i < 20; i++) tx.seal(0, Buffer.of(i), enc);
        const got: Array<{ flags: number; body: string }> = [];
        const sink = sinkInto(got);
        let last = -1;
        const expected: string[] = [];
        for (const i of order) {
          let threw = false;
          try {
            rx.open(0, enc.frames[i]!, sink);
          } catch (err) {
            threw = true;
            expect((err as { zmtpCode?: string }).zmtpCode).toBe("ERR_ZMTP_INVALID_SEQUENCE");
          }
          expect(threw).toBe(i <= last);
          if (threw) break; // the engine closes the connection here
          last = i;
          expected.push(Buffer.of(i).toString("hex"));
        }
        expect(got.map((g) => g.body)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
