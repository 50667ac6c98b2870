// Bad input over real sockets: truncated, forged and out-of-window datagrams
// sent to the group, NAKs for unknown sessions, malformed NAKs and a NAK flood
// sent to the publisher. All are ignored or bounded; the genuine stream goes on.
import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Publisher, Subscriber } from "../../index.js";
import {
  HEADER_SIZE, MAX_NAK_SEQS, dataHeader, decodePacket, encodeNak, encodeSpm,
} from "../../transports/pgm/packet.js";
import { MAX_SESSIONS } from "../../transports/pgm/receiver.js";
import {
  collectEachWithin, digest, firstWithin, hooks, joined, mcastEndpoint, rampBytes, stats, until, useSockets,
} from "../helpers.js";

const track = useSockets();
const raw: dgram.Socket[] = [];
afterEach(() => {
  for (const s of raw.splice(0)) s.close();
});

function udp(): dgram.Socket {
  const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
  raw.push(s);
  return s;
}

function parse(ep: string): { group: string; port: number } {
  const m = /;([\d.]+):(\d+)$/.exec(ep)!;
  return { group: m[1]!, port: Number(m[2]) };
}

/** Send datagrams and wait until the kernel has taken each one. */
async function blast(s: dgram.Socket, bufs: Buffer[], port: number, addr: string): Promise<void> {
  for (let i = 0; i < bufs.length; i += 64) {
    await Promise.all(
      bufs.slice(i, i + 64).map((b) => new Promise<void>((res) => s.send(b, port, addr, () => res()))),
    );
  }
}

describe("pgm: hostile input", () => {
  it("forged, truncated and out-of-window packets, and NAK abuse, leave the stream intact and memory bounded", { timeout: 30000 }, async () => {
    const ep = mcastEndpoint();
    const { group, port } = parse(ep);
    const sub = track(new Subscriber());
    sub.subscribe();
    await joined(sub, ep);
    const pub = track(new Publisher({ rate: 20000, recoveryInterval: 2000 }));
    await pub.bind(ep);

    // a spy on the group learns the publisher's session id and source port
    const spy = udp();
    const seen: { b: Buffer; port: number }[] = [];
    spy.on("message", (b, from) => seen.push({ b, port: from.port }));
    await new Promise<void>((r) => spy.bind(port, group, () => r()));
    spy.addMembership(group, "127.0.0.1");

    const first = Array.from({ length: 10 }, (_, i) => [Buffer.from(`a${i}`), rampBytes(i, 2000)]);
    for (const m of first) await pub.send(m);
    expect(digest(await collectEachWithin(sub, first.length))).toEqual(digest(first));
    await until(() => seen.some((x) => decodePacket(x.b)?.type === "odata"), 3000, "spy sees data");
    const sample = seen.find((x) => decodePacket(x.b)?.type === "odata")!;
    const real = decodePacket(sample.b)!;
    if (real.type !== "odata") throw new Error("unreachable");
    const session = Buffer.from(real.session, "hex");
    const pubPort = sample.port;
    const lead = real.seq;

    const forger = udp();
    await new Promise<void>((r) => forger.bind(0, "127.0.0.1", () => r()));
    forger.setMulticastInterface("127.0.0.1");

    // --- to the group (the receivers) ---
    const junk: Buffer[] = [];
    for (let n = 0; n < 26; n++) junk.push(sample.b.subarray(0, n)); // every truncation below a data header
    const bad = Buffer.from(sample.b);
    bad[0] = 0x00; // magic
    junk.push(bad);
    const v2 = Buffer.from(sample.b);
    v2[2] = 2; // version
    junk.push(v2);
    const t9 = Buffer.from(sample.b);
    t9[3] = 9; // type
    junk.push(t9);
    const payload = Buffer.from([0, 0, 0, 0, 0, 0, 0x00, 0x03, 0x45, 0x56, 0x49]);
    // the real session, far ahead and behind the window, and with a trail that is no window
    junk.push(Buffer.concat([dataHeader(false, session, lead + 2 ** 20, lead + 2 ** 20), payload]));
    junk.push(Buffer.concat([dataHeader(false, session, lead - 5000, lead - 5000), payload]));
    junk.push(Buffer.concat([dataHeader(false, session, lead + 3, lead + 100), payload]));
    junk.push(encodeSpm(session, lead + 2 ** 24, lead));
    junk.push(encodeSpm(session, lead, lead + 50));
    // repairs for sessions nobody has seen: never create a session
    for (let i = 0; i < 50; i++) junk.push(Buffer.concat([dataHeader(true, randomBytes(8), i, i), payload]));
    // a NAK sent to the group: receivers ignore NAKs
    junk.push(encodeNak(session, [lead]));
    // many forged sessions: capped
    for (let i = 0; i < MAX_SESSIONS + 200; i++) junk.push(encodeSpm(randomBytes(8), i, i + 1));
    // random garbage
    for (let i = 0; i < 200; i++) junk.push(randomBytes(1 + (i % 90)));
    await blast(forger, junk, port, group);

    // --- to the publisher ---
    const before = stats(pub).senders[0]!;
    const toPub: Buffer[] = [];
    for (let i = 0; i < 100; i++) toPub.push(encodeNak(randomBytes(8), [lead, lead - 1])); // unknown sessions
    const truncated = encodeNak(session, [lead, lead - 1, lead - 2]);
    for (let n = 0; n < truncated.length; n++) toPub.push(truncated.subarray(0, n));
    const liar = encodeNak(session, [lead]);
    liar.writeUInt16BE(MAX_NAK_SEQS + 1, HEADER_SIZE); // claims more than it holds, and more than allowed
    toPub.push(liar);
    toPub.push(encodeNak(session, Array.from({ length: MAX_NAK_SEQS }, (_, i) => lead + 1000 + i))); // future: not in the window
    toPub.push(encodeNak(session, [lead + 5000])); // sentinel: once it is counted, everything before was handled
    await blast(forger, toPub, pubPort, "127.0.0.1");
    await until(() => stats(pub).senders[0]!.naksReceived - before.naksReceived >= 2, 3000, "sentinel NAK");
    const s0 = stats(pub).senders[0]!;
    // only the well-formed NAKs of the real session counted (the future one and the sentinel),
    // and they asked for nothing repairable (the genuine subscriber has nothing left to NAK)
    expect(s0.naksReceived - before.naksReceived).toBe(2);
    expect(s0.rdata - before.rdata).toBe(0);

    // a flood of valid NAKs for in-window sequences: repairs stay within the window
    const flood: Buffer[] = [];
    const inWindow = Array.from({ length: 20 }, (_, i) => lead - i);
    for (let i = 0; i < 200; i++) flood.push(encodeNak(session, inWindow));
    const floodStart = performance.now();
    for (let round = 1; round <= 15; round++) {
      await blast(forger, flood, pubPort, "127.0.0.1");
      await until(() => stats(pub).senders[0]!.naksReceived - s0.naksReceived >= 200 * round, 3000, "flood handled");
      expect(stats(pub).senders[0]!.repairsQueued).toBeLessThanOrEqual(s0.windowCapacity);
    }
    const s1 = stats(pub).senders[0]!;
    expect(s1.repairsQueued).toBeLessThanOrEqual(s1.windowCapacity);
    // each sequence is repaired at most once per hold-off (30 ms): 3000 NAKs of 20 sequences
    // cannot make more than 20 repairs per 30 ms
    const floodMs = performance.now() - floodStart;
    expect(s1.rdata - s0.rdata).toBeLessThanOrEqual(inWindow.length * (Math.ceil(floodMs / 30) + 1));
    expect(s1.rdata - s0.rdata).toBeGreaterThan(0);

    // the genuine stream carries on, exactly
    const second = Array.from({ length: 20 }, (_, i) => [Buffer.from(`b${i}`), rampBytes(100 + i, 3000)]);
    for (const m of second) await pub.send(m);
    expect(digest(await collectEachWithin(sub, second.length))).toEqual(digest(second));
    expect(await firstWithin(sub, 300)).toBeUndefined();
    const r = stats(sub).receivers[0]!;
    expect(r.sessions).toBeLessThanOrEqual(MAX_SESSIONS);
    expect(r.held).toBeLessThan(100);
    expect(r.lost).toBe(0);
  });

  it("a session that goes silent is forgotten after the expiry", { timeout: 10000 }, async () => {
    const ep = mcastEndpoint();
    const sub = track(new Subscriber());
    sub.subscribe();
    hooks(sub, { timing: { sessionExpiry: 200 } });
    await joined(sub, ep);
    const pub = track(new Publisher({ rate: 10000, linger: 0 }));
    await pub.bind(ep);
    await pub.send("hello");
    await collectEachWithin(sub, 1);
    expect(stats(sub).receivers[0]!.sessions).toBe(1);
    pub.close();
    await until(() => stats(sub).receivers[0]!.sessions === 0, 5000, "session expiry");
  });
});
