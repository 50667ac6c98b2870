// The pgm stand-in's pure parts, no sockets: the datagram codec, and the
// fragmenter feeding a receiver session, checked against a model of "a
// message is delivered whole iff every packet carrying its bytes arrived".
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import { Fragmenter } from "../../transports/pgm/fragmenter.js";
import { DEFAULT_TIMING } from "../../transports/pgm/hooks.js";
import {
  type DataPacket, DATA_HEADER_SIZE, HEADER_SIZE, MAX_NAK_SEQS, decodePacket, dataHeader, encodeNak, encodeSpm,
  seqAdd, seqLt,
} from "../../transports/pgm/packet.js";
import { RxSession, type SessionHost } from "../../transports/pgm/session.js";
import { MAX_WINDOW_BYTES, MAX_WINDOW_PACKETS, TxWindow, windowPackets } from "../../transports/pgm/window.js";
import { digest, encodeMessage } from "../helpers.js";

const SESSION = Buffer.from("0123456789abcdef", "hex");
const open: RxSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

class FakeHost implements SessionHost {
  timing = DEFAULT_TIMING;
  maxMessageSize = -1;
  delivered: Msg[] = [];
  lost: number[] = [];
  naks: number[][] = [];
  restarted = 0;
  sendNak(_s: RxSession, seqs: number[]) {
    this.naks.push(seqs);
  }
  deliver(m: Msg) {
    this.delivered.push(m);
  }
  reportLoss(n: number) {
    this.lost.push(n);
  }
  restart() {
    this.restarted++;
  }
}

/** Fragment `msgs` into data packets starting at `base`, and list the packets
 * each message's bytes lie in (the stream is cut every `payload` bytes; one
 * flush at the end). */
function fragment(msgs: Msg[], payload: number, base: number): { packets: DataPacket[]; touches: number[][] } {
  const bodies: Buffer[] = [];
  const f = new Fragmenter(payload, 0, (b) => bodies.push(b));
  const touches: number[][] = [];
  let at = 0;
  for (const m of msgs) {
    f.add(m);
    const len = encodeMessage(m).length;
    const span: number[] = [];
    for (let k = Math.floor(at / payload); k <= Math.floor((at + len - 1) / payload); k++) span.push(k);
    touches.push(span);
    at += len;
  }
  f.flush();
  expect(bodies.length).toBe(Math.ceil(at / payload));
  const packets = bodies.map((b, i) => {
    expect(b.length).toBeLessThanOrEqual(payload + DATA_HEADER_SIZE - HEADER_SIZE);
    const p = decodePacket(Buffer.concat([dataHeader(false, SESSION, seqAdd(base, i), base), b]));
    if (p === undefined || p.type !== "odata") throw new Error("fragmenter produced an undecodable packet");
    return p;
  });
  return { packets, touches };
}

const frameArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 200, max: 300 }),
  fc.integer({ min: 1000, max: 1500 }),
);
const msgArb = fc
  .array(fc.tuple(frameArb, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
  .map((frames) => frames.map(([n, v]) => Buffer.alloc(n, v)));
const baseArb = fc.oneof(fc.constant(0xfffffff0), fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));

describe("pgm datagram codec", () => {
  it("decodePacket never throws and rejects what is not a well-formed datagram", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const p = decodePacket(Buffer.from(bytes));
        if (p !== undefined) expect(["odata", "rdata", "spm", "nak"]).toContain(p.type);
      }),
      { numRuns: 2000 },
    );
  });

  it("every truncation of a valid datagram is rejected, except whole ones", () => {
    const full = [
      encodeSpm(SESSION, 7, 3),
      encodeNak(SESSION, [1, 2, 3]),
      Buffer.concat([dataHeader(true, SESSION, 9, 1), Buffer.from([0, 0, 0, 4, 0, 0, 0x00, 0x01, 0x41])]),
    ];
    for (const b of full) {
      expect(decodePacket(b)).toBeDefined();
      for (let n = 0; n < b.length; n++) {
        const p = decodePacket(b.subarray(0, n));
        // a data packet cut inside its payload is still a (shorter) data packet; nothing else survives
        if (p !== undefined) expect(p.type).toBe("rdata");
      }
    }
    expect(decodePacket(encodeSpm(SESSION, 1, 1).subarray(0, HEADER_SIZE - 1))).toBeUndefined();
  });

  it("round-trips SPMs and NAKs; NAK length limits hold", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (lead, trail) => {
        expect(decodePacket(encodeSpm(SESSION, lead, trail))).toEqual({ type: "spm", session: SESSION.toString("hex"), lead, trail });
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: MAX_NAK_SEQS }), (seqs) => {
        expect(decodePacket(encodeNak(SESSION, seqs))).toEqual({ type: "nak", session: SESSION.toString("hex"), seqs });
      }),
      { numRuns: 200 },
    );
    expect(() => encodeNak(SESSION, [])).toThrow(RangeError);
    // a NAK claiming more sequences than it holds
    const b = encodeNak(SESSION, [1, 2]);
    b.writeUInt16BE(3, HEADER_SIZE);
    expect(decodePacket(b)).toBeUndefined();
    // a data packet whose message offset points past its payload
    const d = Buffer.concat([dataHeader(false, SESSION, 1, 1), Buffer.from([0, 0, 0, 0, 0, 5, 1, 2])]);
    expect(decodePacket(d)).toBeUndefined();
  });

  it("serial-number comparison works across the wrap", () => {
    expect(seqLt(0xffffffff, 0)).toBe(true);
    expect(seqLt(0, 0xffffffff)).toBe(false);
    expect(seqLt(0x7ffffffe, 0x7fffffff)).toBe(true);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
  });

  it("the transmit window is libzmq's rate x interval / TPDU, bounded, and repairs only what it holds", () => {
    expect(windowPackets(100, 10000, 1500)).toBe(83);
    expect(windowPackets(1000, 40, 500)).toBe(10);
    expect(windowPackets(1, 0, 1500)).toBe(1);
    expect(windowPackets(2 ** 31 - 1, 2 ** 31 - 1, 64)).toBe(MAX_WINDOW_PACKETS);
    expect(windowPackets(2 ** 31 - 1, 2 ** 31 - 1, 65507)).toBe(Math.floor(MAX_WINDOW_BYTES / 65507));
    const w = new TxWindow(3, 0xfffffffe);
    for (let i = 0; i < 5; i++) w.push(Buffer.from([i]));
    // sequences fffffffe, ffffffff, 0, 1, 2: the last three remain
    expect(w.trail).toBe(0);
    expect(w.lead).toBe(2);
    expect(w.get(0xffffffff)).toBeUndefined();
    expect(w.get(0)).toEqual(Buffer.from([2]));
    expect(w.get(2)).toEqual(Buffer.from([4]));
    expect(w.get(3)).toBeUndefined();
    expect(w.claimRepair(1, 100, 30)).toBe(true);
    expect(w.claimRepair(1, 110, 30)).toBe(false);
    expect(w.claimRepair(1, 131, 30)).toBe(true);
    expect(w.claimRepair(3, 0, 30)).toBe(false);
  });
});

describe("pgm fragmentation and reassembly (model)", () => {
  function run(msgs: Msg[], payload: number, base: number, lostIdx: Set<number>, shuffle: number[] | null) {
    const { packets, touches } = fragment(msgs, payload, base);
    const host = new FakeHost();
    const last = seqAdd(base, packets.length - 1);
    const s = new RxSession(host, SESSION, "127.0.0.1", 1, { type: "spm", session: "", lead: seqAdd(base, -1), trail: base }, 0);
    open.push(s);
    const received = packets.filter((_, i) => !lostIdx.has(i));
    if (shuffle === null) {
      // in order, each advertising trail = itself: anything missing before it is given up at once
      for (const p of received) s.onData({ ...p, trail: p.seq }, 1);
    } else {
      // reordered and duplicated, nothing given up until the final session message
      const order = shuffle.map((k) => received[k % Math.max(1, received.length)]).filter((p) => p !== undefined);
      for (const p of [...order, ...received]) s.onData(p, 1);
    }
    s.onSpm({ type: "spm", session: "", lead: last, trail: seqAdd(last, 1) }, 2);
    const whole = msgs.map((_, i) => touches[i]!.every((k) => !lostIdx.has(k)));
    const expected = msgs.filter((_, i) => whole[i]);
    expect(digest(host.delivered)).toEqual(digest(expected));
    // Losses are counted from the first message boundary the receiver synchronised on (the
    // first message whose first packet arrived) and reported when the stream resynchronises
    // at a later message start; a loss after the last start received waits for more data.
    const starts = touches.map((t) => !lostIdx.has(t[0]!));
    const firstSync = starts.indexOf(true);
    const lastStart = starts.lastIndexOf(true);
    let reportable = 0;
    for (let i = Math.max(0, firstSync); i < lastStart; i++) if (!whole[i]) reportable++;
    expect(host.lost.reduce((a, b) => a + b, 0)).toBe(reportable);
    // nothing held once the window has moved past everything
    expect(s.held).toBe(0);
    expect(s.heldBytes).toBe(0);
    expect(s.gapCount).toBe(0);
  }

  it("no loss: every message arrives whole and in order, from any starting sequence", () => {
    fc.assert(
      fc.property(fc.array(msgArb, { minLength: 1, maxLength: 25 }), fc.integer({ min: 10, max: 1500 }), baseArb, (msgs, payload, base) => {
        run(msgs, payload, base, new Set(), null);
      }),
      { numRuns: 150 },
    );
  });

  it("with lost packets: exactly the messages with every packet delivered, whole; the others counted", () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 10, max: 1500 }),
        baseArb,
        fc.array(fc.nat(400), { maxLength: 30 }),
        (msgs, payload, base, lost) => {
          run(msgs, payload, base, new Set(lost), null);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reordering and duplicates change nothing", () => {
    fc.assert(
      fc.property(
        fc.array(msgArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 10, max: 600 }),
        baseArb,
        fc.array(fc.nat(200), { maxLength: 20 }),
        fc.array(fc.nat(1000), { maxLength: 60 }),
        (msgs, payload, base, lost, shuffle) => {
          run(msgs, payload, base, new Set(lost), shuffle);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("hostile packets for a known session never throw and never grow it past one window", () => {
    const near = fc.integer({ min: -40, max: 40 });
    const far = fc.integer({ min: 0, max: 0xffffffff });
    const seqArb = fc.oneof(near.map((d) => seqAdd(1000, d)), far);
    const pkt = fc.oneof(
      fc.record({
        type: fc.constant("odata" as const),
        seq: seqArb,
        trail: seqArb,
        msgSeq: fc.integer({ min: 0, max: 0xffffffff }),
        firstOffset: fc.oneof(fc.constant(0xffff), fc.integer({ min: 0, max: 7 })),
        payload: fc.uint8Array({ minLength: 8, maxLength: 40 }).map((u) => Buffer.from(u)),
      }),
      fc.record({ type: fc.constant("spm" as const), lead: seqArb, trail: seqArb }),
    );
    fc.assert(
      fc.property(fc.array(pkt, { maxLength: 300 }), (pkts) => {
        const host = new FakeHost();
        const s = new RxSession(host, SESSION, "127.0.0.1", 1, { type: "spm", session: "", lead: 999, trail: 990 }, 0);
        open.push(s);
        for (const p of pkts) {
          if (p.type === "spm") s.onSpm({ ...p, session: "" }, 1);
          else s.onData({ ...p, session: "" }, 1);
          expect(s.held + s.gapCount).toBeLessThanOrEqual(2 * MAX_WINDOW_PACKETS);
          expect(s.held).toBeLessThanOrEqual(MAX_WINDOW_PACKETS);
          expect(s.heldBytes).toBeLessThanOrEqual(MAX_WINDOW_BYTES);
        }
        s.close();
      }),
      { numRuns: 300 },
    );
  });

  it("a session hearing only far out-of-window packets for long starts over; a few of them change nothing", () => {
    const host = new FakeHost();
    host.timing = { ...DEFAULT_TIMING, resyncAfter: 1000 };
    const s = new RxSession(host, SESSION, "127.0.0.1", 1, { type: "spm", session: "", lead: 99, trail: 90 }, 0);
    open.push(s);
    const far = (t: number) => s.onSpm({ type: "spm", session: "", lead: 100 + 2 ** 20, trail: 100 + 2 ** 20 }, t);
    for (let i = 0; i < 100; i++) far(10); // many, but not for long
    expect(host.restarted).toBe(0);
    s.onSpm({ type: "spm", session: "", lead: 99, trail: 95 }, 500); // in window: the count starts again
    for (let i = 0; i < 31; i++) far(2000);
    expect(host.restarted).toBe(0);
    far(2000);
    expect(host.restarted).toBe(1);
  });
});
