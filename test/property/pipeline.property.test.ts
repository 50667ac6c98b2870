// Random multipart messages through PUSH/PULL and PAIR over inproc with random
// HWMs: everything arrives complete, in order, nothing lost or duplicated.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Pair, Pull, Push } from "../../index.js";
import { closeAll, collect, drain, uniqueInproc, joinInOrder } from "../helpers.js";

const part = fc.oneof(
  { weight: 2, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
);
const message = fc.array(part, { minLength: 1, maxLength: 6 });
const messages = fc.array(message, { maxLength: 40, size: "max" });
const hwm = fc.integer({ min: 0, max: 4 });

function expectSame(got: Buffer[][], sent: Buffer[][]): void {
  expect(got.length).toBe(sent.length);
  for (let i = 0; i < sent.length; i++) {
    expect(got[i]!.length).toBe(sent[i]!.length);
    for (let j = 0; j < sent[i]!.length; j++) expect(got[i]![j]!.equals(sent[i]![j]!)).toBe(true);
  }
}

/** Send all, either awaiting each send or firing them all at once (the
 * socket's FIFO of waiting sends keeps them in call order). */
async function sendAll(sock: { send(m: Buffer[]): Promise<void> }, msgs: Buffer[][], awaitEach: boolean) {
  if (awaitEach) for (const m of msgs) await sock.send(m);
  else await Promise.all(msgs.map((m) => sock.send(m)));
}

describe("property: PUSH -> PULL", () => {
  it("delivers every message whole, in order, exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(messages, hwm, hwm, fc.boolean(), fc.boolean(), async (msgs, snd, rcv, bindFirst, awaitEach) => {
        const addr = uniqueInproc("prop");
        const push = new Push({ sendHighWaterMark: snd });
        const pull = new Pull({ receiveHighWaterMark: rcv });
        try {
          await joinInOrder(pull, push, addr, bindFirst);
          const receiving = collect(pull, msgs.length, 5000);
          await sendAll(push, msgs, awaitEach);
          expectSame(await receiving, msgs);
          expect(await drain(pull)).toEqual([]);
        } finally {
          closeAll(push, pull);
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000);
});

describe("property: PAIR <-> PAIR", () => {
  it("delivers both directions at once, whole, in order, exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(messages, messages, hwm, hwm, hwm, hwm, fc.boolean(), async (ab, ba, s1, r1, s2, r2, awaitEach) => {
        const addr = uniqueInproc("prop");
        const a = new Pair({ sendHighWaterMark: s1, receiveHighWaterMark: r1 });
        const b = new Pair({ sendHighWaterMark: s2, receiveHighWaterMark: r2 });
        try {
          await a.bind(addr);
          b.connect(addr);
          const atB = collect(b, ab.length, 5000);
          const atA = collect(a, ba.length, 5000);
          await Promise.all([sendAll(a, ab, awaitEach), sendAll(b, ba, !awaitEach)]);
          expectSame(await atB, ab);
          expectSame(await atA, ba);
        } finally {
          closeAll(a, b);
        }
      }),
      { numRuns: 50 },
    );
  }, 30_000);
});
