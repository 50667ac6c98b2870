import { describe, expect, it } from "vitest";
import { ZmtpEncoder, LARGE_BODY_THRESHOLD, SLAB_SIZE } from "../../lib/zmtp/encoder.js";
import { MessageDecoder } from "../../lib/zmtp/message-decoder.js";
import type { Msg } from "../../lib/core/message.js";
import { encodeCommand, encodeMessage } from "../helpers.js";

const T = 5000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const cat = (chunks: Buffer[]) => Buffer.concat(chunks);

function decodeAll(wire: Buffer): Msg[] {
  const out: Msg[] = [];
  new MessageDecoder({ onMessage: (m) => void out.push(m), onCommand() {} }, { maxMessageSize: -1 }).push(wire);
  return out;
}

describe("ZmtpEncoder", () => {
  it("encodes [x, yz] as libzmq does", () => {
    const e = new ZmtpEncoder();
    e.writeMessage([Buffer.from("x"), Buffer.from("yz")]);
    expect(e.length).toBe(7);
    expect(cat(e.take()).equals(hex("01 01 78 00 02 79 7a"))).toBe(true);
    expect(e.length).toBe(0);
  }, T);

  it("encodes libzmq's READY command", () => {
    const data = Buffer.concat([hex("0b"), Buffer.from("Socket-Type"), hex("00 00 00 04"), Buffer.from("PUSH")]);
    const expected = Buffer.concat([hex("04 1a 05"), Buffer.from("READY"), data]);
    const e = new ZmtpEncoder();
    e.writeCommand("READY", data);
    expect(cat(e.take()).equals(expected)).toBe(true);
    expect(encodeCommand("READY", data).equals(expected)).toBe(true);
  }, T);

  it("uses the 1-byte size up to 255 and the 8-byte size above", () => {
    expect(encodeMessage([Buffer.alloc(0)]).equals(hex("00 00"))).toBe(true);
    expect(encodeMessage([Buffer.alloc(255, 1)]).subarray(0, 2).equals(hex("00 ff"))).toBe(true);
    expect(encodeMessage([Buffer.alloc(256)]).subarray(0, 9).equals(hex("02 0000000000000100"))).toBe(true);
    expect(encodeMessage([Buffer.alloc(65536)]).subarray(0, 9).equals(hex("02 0000000000010000"))).toBe(true);
    expect(encodeMessage([Buffer.alloc(256), Buffer.alloc(1)]).subarray(0, 9).equals(hex("03 0000000000000100"))).toBe(true);
    expect(encodeCommand("X", Buffer.alloc(300)).subarray(0, 9).equals(hex("06 000000000000012e"))).toBe(true);
  }, T);

  it("coalesces small frames of many messages into one chunk", () => {
    const e = new ZmtpEncoder();
    for (let i = 0; i < 100; i++) e.writeMessage([Buffer.from("hello"), Buffer.from(String(i))]);
    const chunks = e.take();
    expect(chunks.length).toBe(1);
    expect(decodeAll(chunks[0]!).length).toBe(100);
  }, T);

  it("references large bodies without copying", () => {
    const big = Buffer.alloc(LARGE_BODY_THRESHOLD, 7);
    const e = new ZmtpEncoder();
    e.writeMessage([Buffer.from("a"), big, Buffer.from("b")]);
    const chunks = e.take();
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(big);
    expect(chunks[0]!.equals(hex("01 01 61 03 00 00 00 00 00 00 20 00"))).toBe(true);
    expect(chunks[2]!.equals(hex("00 01 62"))).toBe(true);
    expect(e.length).toBe(0);
    const msgs = decodeAll(cat(chunks));
    expect(msgs[0]![1]!.equals(big)).toBe(true);
  }, T);

  it("copies bodies just under the threshold", () => {
    const body = Buffer.alloc(LARGE_BODY_THRESHOLD - 1, 3);
    const e = new ZmtpEncoder();
    e.writeMessage([body]);
    const chunks = e.take();
    expect(chunks.length).toBe(1);
    expect(chunks[0]!.length).toBe(9 + body.length);
  }, T);

  it("never overwrites buffers handed out by take()", () => {
    const e = new ZmtpEncoder();
    e.writeMessage([Buffer.from("first")]);
    const a = e.take();
    const snapshot = Buffer.from(cat(a));
    for (let i = 0; i < 5000; i++) e.writeMessage([Buffer.alloc(20, i & 0xff)]);
    const b = e.take();
    expect(cat(a).equals(snapshot)).toBe(true);
    expect(cat(b).length).toBe(5000 * 22);
    expect(b.length).toBeGreaterThan(1); // spilled over several slabs
    expect(b.every((c) => c.length <= SLAB_SIZE)).toBe(true);
    expect(decodeAll(cat(b)).length).toBe(5000);
  }, T);

  it("returns an empty batch when nothing is pending", () => {
    expect(new ZmtpEncoder().take()).toEqual([]);
  }, T);

  it("rejects a message with no parts and bad command names", () => {
    const e = new ZmtpEncoder();
    expect(() => e.writeMessage([])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => e.writeCommand("", Buffer.alloc(0))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => e.writeCommand("X".repeat(256), Buffer.alloc(0))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => e.writeCommand("BAD NAME", Buffer.alloc(0))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(e.length).toBe(0);
    expect(e.take()).toEqual([]);
  }, T);

  it("writes subscriptions as commands to a 3.1 peer", () => {
    const e = new ZmtpEncoder();
    e.writeSubscription(true, Buffer.from("ab"), 1);
    e.writeSubscription(false, Buffer.from("ab"), 1);
    expect(cat(e.take()).equals(Buffer.concat([
      hex("04 0c 09"), Buffer.from("SUBSCRIBE"), Buffer.from("ab"),
      hex("04 09 06"), Buffer.from("CANCEL"), Buffer.from("ab"),
    ]))).toBe(true);
  }, T);

  it("writes subscriptions as 0x01/0x00 messages to a 3.0 peer", () => {
    const e = new ZmtpEncoder();
    e.writeSubscription(true, Buffer.from("ab"), 0);
    e.writeSubscription(false, Buffer.from("ab"), 0);
    e.writeSubscription(true, Buffer.alloc(0), 0);
    expect(cat(e.take()).equals(hex("00 03 01 61 62  00 03 00 61 62  00 01 01"))).toBe(true);
  }, T);

  it("writeRaw appends pre-encoded bytes", () => {
    const e = new ZmtpEncoder();
    const pre = encodeMessage([Buffer.from("x"), Buffer.from("yz")]);
    e.writeRaw(pre);
    e.writeMessage([Buffer.from("q")]);
    expect(cat(e.take()).equals(Buffer.concat([pre, hex("00 01 71")]))).toBe(true);
  }, T);
});

describe("slab reuse", () => {
  it("never overwrites bytes of a batch before released(), and reuses slabs after", () => {
    const enc = new ZmtpEncoder();
    const body = Buffer.alloc(200, 7);
    const batches: Array<{ id: number; copy: Buffer; chunks: Buffer[] }> = [];
    for (let b = 0; b < 40; b++) {
      for (let i = 0; i < 100; i++) enc.writeMessage([body]);
      const chunks = enc.take();
      batches.push({ id: enc.lastBatch, copy: Buffer.concat(chunks), chunks });
    }
    // nothing released: every batch still reads as it was taken
    for (const b of batches) expect(Buffer.concat(b.chunks).equals(b.copy)).toBe(true);
    const slabsBefore = new Set(batches.flatMap((b) => b.chunks.map((c) => c.buffer)));
    enc.released(batches.at(-1)!.id);
    // enough for the encoder to move to another slab: it takes a released one
    for (let i = 0; i < 400; i++) enc.writeMessage([body]);
    const next = enc.take();
    // the slab it was filling was already there; a second old one means reuse
    const reused = new Set(next.map((c) => c.buffer).filter((ab) => slabsBefore.has(ab))).size >= 2;
    expect(reused).toBe(true);
  });
});
