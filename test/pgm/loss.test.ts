// Loss repair over real dgram sockets on loopback, made deterministic by the
// transport's test hooks, which drop chosen datagrams at the receiver (or its
// NAKs on the way out). Each case ends in exact, in-order, complete delivery,
// or, beyond the transmit window, in whole-message drops counted by pgm:loss.
import { describe, expect, it } from "vitest";
import { Publisher, Subscriber } from "../../index.js";
import type { EventRecord as Event } from "../../lib/core/events.js";
import type { DataPacket, Packet } from "../../transports/pgm/index.js";
import { NO_OFFSET } from "../../transports/pgm/packet.js";
import {
  PacketLog, collectEachWithin, digest, firstWithin, hooks, joined, mcastEndpoint, rampBytes, stats, useSockets,
} from "../helpers.js";

const track = useSockets();
const BASE = 5000;

const odata = (p: Packet): p is DataPacket => p.type === "odata";
const naksFor = (log: PacketLog, seq: number) =>
  log.count((p) => p.type === "nak" && p.seqs.includes(seq));

interface Rig {
  pub: Publisher;
  sub: Subscriber;
  /** Everything the SUB received (and dropped where told). */
  rxLog: PacketLog;
  /** The SUB's NAKs. */
  nakLog: PacketLog;
  /** What the PUB sent. */
  txLog: PacketLog;
  losses: Event[];
}

async function rig(
  drop: (p: Packet, log: PacketLog) => boolean,
  pubOpts: Record<string, unknown> = {},
  subHooks: { dropNak?: (p: Packet, log: PacketLog) => boolean; timing?: object } = {},
): Promise<Rig> {
  const ep = mcastEndpoint();
  const pub = track(new Publisher({ rate: 10000, sendHighWaterMark: 0, ...pubOpts }));
  const sub = track(new Subscriber());
  sub.subscribe();
  const rxLog = new PacketLog(drop);
  const nakLog = new PacketLog(subHooks.dropNak);
  const txLog = new PacketLog();
  hooks(sub, { dropIncoming: rxLog.hook, dropOutgoing: nakLog.hook, ...(subHooks.timing ? { timing: subHooks.timing } : {}) });
  hooks(pub, { dropOutgoing: txLog.hook, initialSequence: BASE });
  const losses: Event[] = [];
  sub.events.on("pgm:loss", (e) => losses.push(e));
  await joined(sub, ep);
  await pub.bind(ep);
  return { pub, sub, rxLog, nakLog, txLog, losses };
}

function messages(n: number, size: number): Buffer[][] {
  return Array.from({ length: n }, (_, i) => [Buffer.from(`m${i}`), rampBytes(i, size)]);
}

async function sendAll(pub: Publisher, msgs: Buffer[][]): Promise<void> {
  for (const m of msgs) await pub.send(m);
}

describe("pgm loss repair", () => {
  it("a single lost packet is NAKed and repaired: exact, in-order delivery", { timeout: 15000 }, async () => {
    const lost = BASE + 10;
    let dropped = false;
    const r = await rig((p) => {
      if (!dropped && odata(p) && p.seq === lost) return (dropped = true);
      return false;
    });
    const msgs = messages(30, 3000);
    await sendAll(r.pub, msgs);
    const got = await collectEachWithin(r.sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(dropped).toBe(true);
    expect(naksFor(r.nakLog, lost)).toBeGreaterThanOrEqual(1);
    expect(r.txLog.count((p) => p.type === "rdata" && p.seq === lost)).toBeGreaterThanOrEqual(1);
    expect(r.losses).toEqual([]);
    expect(await firstWithin(r.sub, 200)).toBeUndefined();
  });

  it("a burst of 20 lost packets is repaired", { timeout: 15000 }, async () => {
    const from = BASE + 5;
    const to = BASE + 25;
    const seen = new Set<number>();
    const r = await rig((p) => {
      if (!odata(p) || p.seq < from || p.seq >= to || seen.has(p.seq)) return false;
      seen.add(p.seq);
      return true;
    });
    const msgs = messages(40, 2000);
    await sendAll(r.pub, msgs);
    const got = await collectEachWithin(r.sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(seen.size).toBe(20);
    for (let s = from; s < to; s++) expect(r.txLog.count((p) => p.type === "rdata" && p.seq === s)).toBeGreaterThanOrEqual(1);
    expect(r.losses).toEqual([]);
  });

  it("a lost repair: the NAK is sent again and the second repair completes the stream", { timeout: 15000 }, async () => {
    const lost = BASE + 7;
    let odataDropped = false;
    let rdataDropped = false;
    const r = await rig((p) => {
      if (!odataDropped && odata(p) && p.seq === lost) return (odataDropped = true);
      if (!rdataDropped && p.type === "rdata" && p.seq === lost) return (rdataDropped = true);
      return false;
    });
    const msgs = messages(20, 2500);
    await sendAll(r.pub, msgs);
    const got = await collectEachWithin(r.sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(rdataDropped).toBe(true);
    expect(naksFor(r.nakLog, lost)).toBeGreaterThanOrEqual(2);
    expect(r.txLog.count((p) => p.type === "rdata" && p.seq === lost)).toBeGreaterThanOrEqual(2);
    expect(r.losses).toEqual([]);
  });

  it("a lost NAK is sent again", { timeout: 15000 }, async () => {
    const lost = BASE + 3;
    let dropped = false;
    let nakDropped = false;
    const r = await rig(
      (p) => {
        if (!dropped && odata(p) && p.seq === lost) return (dropped = true);
        return false;
      },
      {},
      {
        dropNak: (p) => {
          if (!nakDropped && p.type === "nak" && p.seqs.includes(lost)) return (nakDropped = true);
          return false;
        },
      },
    );
    const msgs = messages(12, 2000);
    await sendAll(r.pub, msgs);
    const got = await collectEachWithin(r.sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(nakDropped).toBe(true);
    expect(naksFor(r.nakLog, lost)).toBeGreaterThanOrEqual(2);
  });

  it("a lost tail is noticed only through session messages, then repaired", { timeout: 15000 }, async () => {
    const msgs = messages(10, 3000);
    const last = msgs.length - 1;
    const droppedSeqs = new Set<number>();
    // every original packet carrying the last message (its start or its middle)
    const r = await rig((p) => {
      if (odata(p) && p.msgSeq === last) {
        droppedSeqs.add(p.seq);
        return true;
      }
      return false;
    });
    await sendAll(r.pub, msgs);
    const got = await collectEachWithin(r.sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(droppedSeqs.size).toBeGreaterThanOrEqual(2);
    const maxLost = Math.max(...droppedSeqs);
    // no data packet after the dropped ones exists; an SPM advertising them came before the first NAK for them
    const seen = r.rxLog.seen;
    const firstSpm = seen.findIndex((p) => p.type === "spm" && p.lead >= maxLost);
    expect(firstSpm).toBeGreaterThanOrEqual(0);
    expect(seen.slice(0, firstSpm).some((p) => odata(p) && p.seq > maxLost)).toBe(false);
    const nakIdx = r.nakLog.seen.findIndex((p) => p.type === "nak" && p.seqs.includes(maxLost));
    expect(nakIdx).toBeGreaterThanOrEqual(0);
    for (const s of droppedSeqs) expect(r.rxLog.count((p) => p.type === "rdata" && p.seq === s)).toBeGreaterThanOrEqual(1);
    expect(r.losses).toEqual([]);
  });

  it("sequence numbers wrap around 2^32 without a hitch, losses at the wrap included", { timeout: 15000 }, async () => {
    const ep = mcastEndpoint();
    const pub = track(new Publisher({ rate: 10000 }));
    const sub = track(new Subscriber());
    sub.subscribe();
    const drop = new Set([0xfffffffe, 0xffffffff, 0, 1]);
    const rx = new PacketLog((p) => odata(p) && drop.delete(p.seq));
    hooks(sub, { dropIncoming: rx.hook });
    hooks(pub, { initialSequence: 0xfffffff0 });
    await joined(sub, ep);
    await pub.bind(ep);
    const msgs = messages(20, 2000);
    await sendAll(pub, msgs);
    const got = await collectEachWithin(sub, msgs.length);
    expect(digest(got)).toEqual(digest(msgs));
    expect(drop.size).toBe(0);
    expect(rx.count((p) => p.type === "rdata" && (p.seq === 0 || p.seq === 0xffffffff))).toBeGreaterThanOrEqual(2);
  });
});

describe("pgm unrecoverable loss", () => {
  // tpdu 500: 446 payload bytes per packet. A message ["L", 1326 bytes] is
  // 3 + 9 + 1326 = 1338 bytes of ZMTP frames: exactly three packets, so every
  // message starts a packet and no packet holds two messages.
  const TPDU = 500;
  const aligned = (n: number) => Array.from({ length: n }, (_, i) => [Buffer.from("L"), rampBytes(i, 1326)]);

  it("loss beyond the transmit window drops exactly the affected messages, whole, and reports them", { timeout: 20000 }, async () => {
    // window: 1000 kbit/s / 8 x 40 ms / 500 = 10 packets
    const gone = new Set([5, 20, 21]);
    let partialDropped = 0;
    const r = await rig(
      (p) => {
        if (p.type !== "odata" && p.type !== "rdata") return false;
        if (p.firstOffset !== NO_OFFSET && p.firstOffset !== 0) throw new Error("packets not aligned to messages");
        if (gone.has(p.msgSeq)) return true; // every copy of every fragment
        // message 30: only its second fragment, every copy: the rest must not be delivered
        if (p.msgSeq === 30 && p.firstOffset === NO_OFFSET && p.seq === BASE + 91) return ++partialDropped > 0;
        return false;
      },
      { rate: 1000, recoveryInterval: 40, multicastMaxTransportDataUnit: TPDU },
    );
    expect(stats(r.pub).senders[0]!.windowCapacity).toBe(10);
    const msgs = aligned(40);
    await sendAll(r.pub, msgs);
    const expected = msgs.filter((_, i) => !gone.has(i) && i !== 30);
    const got = await collectEachWithin(r.sub, expected.length, 8000);
    expect(digest(got)).toEqual(digest(expected));
    expect(partialDropped).toBeGreaterThan(0);
    expect(await firstWithin(r.sub, 300)).toBeUndefined();
    expect(r.losses.reduce((a, e) => a + e.lost!, 0)).toBe(4);
    for (const e of r.losses) expect(e.address).toMatch(/^epgm:\/\//);
    expect(stats(r.sub).receivers[0]!.lost).toBe(4);
  });

  it("a gap whose NAKs all go unanswered is given up after the retry limit, dropping its message whole", { timeout: 15000 }, async () => {
    // the SUB's NAKs never reach the sender (large window: the trail never passes)
    const r = await rig(
      (p) => p.type === "odata" && p.msgSeq === 3 && p.firstOffset === NO_OFFSET,
      { rate: 10000, multicastMaxTransportDataUnit: TPDU },
      { dropNak: () => true, timing: { nakBackoff: 5, nakRepeat: 30, nakMaxRetries: 3 } },
    );
    const msgs = aligned(8);
    await sendAll(r.pub, msgs);
    const expected = msgs.filter((_, i) => i !== 3);
    const got = await collectEachWithin(r.sub, expected.length);
    expect(digest(got)).toEqual(digest(expected));
    expect(r.losses.map((e) => e.lost)).toEqual([1]);
    // two fragments missing, each NAKed exactly nakMaxRetries times
    expect(naksFor(r.nakLog, BASE + 10)).toBe(3);
    expect(naksFor(r.nakLog, BASE + 11)).toBe(3);
    expect(stats(r.pub).senders[0]!.rdata).toBe(0);
  });
});
