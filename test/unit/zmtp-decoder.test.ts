import { deepStrictEqual } from "node:assert";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { MessageDecoder } from "../../lib/zmtp/message-decoder.js";
import { type MessageSink as DecoderSink, DEFAULT_MAX_FRAMES } from "../../lib/zmtp/assembler.js";
import { ZmqError } from "../../lib/core/errors.js";
import type { Msg } from "../../lib/core/message.js";
import { encodeCommand, encodeMessage } from "../helpers.js";

const T = 5000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

class Collect implements DecoderSink {
  events: Array<{ msg: Msg } | { name: string; data: Buffer }> = [];
  stopAfter = Infinity;
  onMessage(msg: Msg): boolean | void {
    this.events.push({ msg });
    if (this.events.length >= this.stopAfter) return false;
  }
  onCommand(name: string, data: Buffer): void {
    this.events.push({ name, data });
  }
  get msgs(): string[][] {
    return this.events.flatMap((e) => ("msg" in e ? [e.msg.map((b) => b.toString("latin1"))] : []));
  }
}

function decoder(maxMessageSize = -1, maxFrames?: number) {
  const sink = new Collect();
  return { sink, d: new MessageDecoder(sink, maxFrames === undefined ? { maxMessageSize } : { maxMessageSize, maxFrames }) };
}

function expectError(fn: () => void, code: string): ZmqError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZmqError);
    expect((e as ZmqError).code).toBe(code);
    return e as ZmqError;
  }
  throw new Error("expected a ZmqError " + code);
}

const LIBZMQ_READY = Buffer.concat([hex("04 1a 05"), Buffer.from("READY"), hex("0b"), Buffer.from("Socket-Type"), hex("00 00 00 04"), Buffer.from("PUSH")]);
const X_YZ = hex("01 01 78 00 02 79 7a");

describe("ZmtpDecoder", () => {
  it("decodes libzmq's READY and [x, yz] from one chunk", () => {
    const { sink, d } = decoder();
    d.push(Buffer.concat([LIBZMQ_READY, X_YZ]));
    expect(sink.events.length).toBe(2);
    const cmd = sink.events[0] as { name: string; data: Buffer };
    expect(cmd.name).toBe("READY");
    expect(cmd.data.equals(Buffer.concat([hex("0b"), Buffer.from("Socket-Type"), hex("00 00 00 04"), Buffer.from("PUSH")]))).toBe(true);
    expect(sink.msgs).toEqual([["x", "yz"]]);
  }, T);

  it("decodes the same bytes fed one byte at a time", () => {
    const { sink, d } = decoder();
    const all = Buffer.concat([LIBZMQ_READY, X_YZ, X_YZ]);
    for (let i = 0; i < all.length; i++) d.push(all.subarray(i, i + 1));
    expect(sink.events.length).toBe(3);
    expect(sink.msgs).toEqual([["x", "yz"], ["x", "yz"]]);
  }, T);

  it("returns frames lying wholly in one chunk zero-copy", () => {
    const { sink, d } = decoder();
    const chunk = Buffer.from(X_YZ);
    d.push(chunk);
    const msg = (sink.events[0] as { msg: Msg }).msg;
    expect(msg[0]!.buffer).toBe(chunk.buffer);
    expect(msg[1]!.buffer).toBe(chunk.buffer);
    expect(msg[1]!.byteOffset).toBe(chunk.byteOffset + 5);
  }, T);

  it("zero-copies a body starting at a chunk edge", () => {
    const { sink, d } = decoder();
    d.push(hex("00 03"));
    const body = Buffer.from("abc");
    d.push(body);
    expect((sink.events[0] as { msg: Msg }).msg[0]!.buffer).toBe(body.buffer);
  }, T);

  it("assembles frames spanning chunks, including the long size field", () => {
    for (const size of [0, 1, 255, 256, 65536, 300_000]) {
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = (i * 7) & 0xff;
      const wire = encodeMessage([body, Buffer.from("tail")]);
      for (const step of [1, 3, 7, 1000, 65536]) {
        if (step === 1 && size > 65536) continue;
        const { sink, d } = decoder();
        for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
        expect(sink.events.length).toBe(1);
        const msg = (sink.events[0] as { msg: Msg }).msg;
        expect(msg.length).toBe(2);
        expect(msg[0]!.equals(body)).toBe(true);
        expect(msg[1]!.toString()).toBe("tail");
      }
    }
  }, 20000);

  it("uses 1-byte sizes up to 255 and accepts the long form for small frames", () => {
    expect(encodeMessage([Buffer.alloc(255)]).subarray(0, 2).equals(hex("00 ff"))).toBe(true);
    expect(encodeMessage([Buffer.alloc(256)]).subarray(0, 9).equals(hex("02 00 00 00 00 00 00 01 00"))).toBe(true);
    const { sink, d } = decoder();
    d.push(hex("03 00 00 00 00 00 00 00 01 61 02 00 00 00 00 00 00 00 00"));
    expect(sink.msgs).toEqual([["a", ""]]);
  }, T);

  it("decodes 0-byte frames and messages", () => {
    const { sink, d } = decoder();
    d.push(hex("00 00 01 00 01 00 00 00"));
    expect(sink.msgs).toEqual([[""], ["", "", ""]]);
  }, T);

  it("ignores reserved flag bits 3-7, as libzmq does", () => {
    const { sink, d } = decoder();
    d.push(hex("f1 01 61 f0 01 62"));
    expect(sink.msgs).toEqual([["a", "b"]]);
  }, T);

  it("rejects a declared size of 2^62 before allocating", () => {
    const { sink, d } = decoder();
    expectError(() => d.push(hex("02 40 00 00 00 00 00 00 00")), "EMSGSIZE");
    expect(sink.events.length).toBe(0);
  }, T);

  it("rejects an 8-byte size with the high bit set, even split across chunks", () => {
    const { d } = decoder();
    d.push(hex("02 80 00 00"));
    expectError(() => d.push(hex("00 00 00 00 05")), "EPROTO");
  }, T);

  it("rejects sizes above 2^53-1 and above the Buffer limit even with no maxMessageSize", () => {
    expectError(() => decoder().d.push(hex("02 00 20 00 00 00 00 00 00")), "EMSGSIZE");
    expectError(() => decoder().d.push(hex("02 00 1f ff ff ff ff ff ff")), "EMSGSIZE");
  }, T);

  it("refuses further input after an error", () => {
    const { d } = decoder();
    expectError(() => d.push(hex("05 01 61")), "EPROTO");
    expect(d.failed).toBe(true);
    expectError(() => d.push(X_YZ), "EPROTO");
  }, T);

  it("applies maxMessageSize to the whole multipart message", () => {
    const { sink, d } = decoder(10);
    d.push(encodeMessage([Buffer.alloc(10)]));
    d.push(encodeMessage([Buffer.alloc(4), Buffer.alloc(6)]));
    expect(sink.events.length).toBe(2);
    // 4 + 4 fits, the third frame header takes it to 12: rejected before its body arrives
    d.push(hex("01 04 00 00 00 00 01 04 00 00 00 00"));
    expectError(() => d.push(hex("00 04")), "EMSGSIZE");
    expect(sink.events.length).toBe(2);
  }, T);

  it("rejects a single frame over maxMessageSize at its header", () => {
    const { d } = decoder(1000);
    expectError(() => d.push(hex("02 00 00 00 00 00 00 03 e9")), "EMSGSIZE");
  }, T);

  it("caps the number of parts per message", () => {
    const { d, sink } = decoder(-1, 3);
    d.push(hex("01 00 01 00 00 00"));
    expect(sink.events.length).toBe(1);
    expectError(() => d.push(hex("01 00 01 00 01 00 00 00")), "EMSGSIZE");
    expect(DEFAULT_MAX_FRAMES).toBeGreaterThan(1000);
  }, T);

  it("rejects a command frame with MORE set", () => {
    const { d } = decoder();
    expectError(() => d.push(hex("05 05 04 50 49 4e 47")), "EPROTO");
  }, T);

  it("rejects a command in the middle of a multipart message", () => {
    const { d } = decoder();
    d.push(hex("01 01 61"));
    expectError(() => d.push(encodeCommand("PING", hex("00 00"))), "EPROTO");
  }, T);

  it("rejects a command whose name length runs past its body, and an empty command", () => {
    expectError(() => decoder().d.push(hex("04 03 05 41 42")), "EPROTO");
    expectError(() => decoder().d.push(hex("04 00")), "EPROTO");
    expectError(() => decoder().d.push(hex("04 01 00")), "EPROTO");
  }, T);

  it("applies maxMessageSize and maxCommandSize to commands", () => {
    expectError(() => decoder(4).d.push(encodeCommand("PING", hex("00 00"))), "EMSGSIZE");
    const sink = new Collect();
    const d = new MessageDecoder(sink, { maxMessageSize: -1, maxCommandSize: 6 });
    d.push(encodeCommand("PONG", hex("00")));
    expectError(() => d.push(encodeCommand("PING", hex("00 00"))), "EMSGSIZE");
  }, T);

  it("passes command data zero-copy with the name decoded", () => {
    const { sink, d } = decoder();
    const chunk = encodeCommand("SUBSCRIBE", Buffer.from("topic"));
    d.push(chunk);
    const c = sink.events[0] as { name: string; data: Buffer };
    expect(c.name).toBe("SUBSCRIBE");
    expect(c.data.toString()).toBe("topic");
    expect(c.data.buffer).toBe(chunk.buffer);
  }, T);

  it("suspends after onMessage returns false and resumes in order", () => {
    const { sink, d } = decoder();
    sink.stopAfter = 1;
    const wire = Buffer.concat([encodeMessage([Buffer.from("a")]), encodeMessage([Buffer.from("b")]), encodeMessage([Buffer.from("c")])]);
    d.push(wire.subarray(0, 5));
    expect(d.suspended).toBe(true);
    expect(sink.msgs).toEqual([["a"]]);
    d.push(wire.subarray(5));
    expect(sink.msgs).toEqual([["a"]]);
    sink.stopAfter = 2;
    d.resume();
    expect(sink.msgs).toEqual([["a"], ["b"]]);
    expect(d.suspended).toBe(true);
    sink.stopAfter = Infinity;
    d.resume();
    expect(d.suspended).toBe(false);
    expect(sink.msgs).toEqual([["a"], ["b"], ["c"]]);
  }, T);

  it("wraps a non-ZmqError thrown by a sink and then refuses input", () => {
    const d = new MessageDecoder({ onMessage() { throw new TypeError("boom"); }, onCommand() {} }, { maxMessageSize: -1 });
    const e = expectError(() => d.push(X_YZ), "EPROTO");
    expect((e as Error & { cause?: unknown }).cause).toBeInstanceOf(TypeError);
    expect(d.failed).toBe(true);
  }, T);

  it("reports inMessage while a multipart message is incomplete", () => {
    const { d } = decoder();
    d.push(hex("01 01"));
    expect(d.inMessage).toBe(true);
    d.push(hex("61 00 00"));
    expect(d.inMessage).toBe(false);
  }, T);
});

describe("decoded frames are plain Buffers (zero-copy views of the read buffer)", () => {
  it("pass node:assert deepStrictEqual against Buffer.from, and share the read buffer's memory", () => {
    const wire = Buffer.concat([encodeMessage([Buffer.from("hello"), Buffer.alloc(300, 7)]), encodeMessage([Buffer.from("z")])]);
    const got: Msg[] = [];
    const d = new MessageDecoder({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: -1 });
    d.push(wire);
    expect(got.length).toBe(2);
    // a Buffer whose prototype is not Buffer.prototype fails this (found in review)
    deepStrictEqual(got[0], [Buffer.from("hello"), Buffer.alloc(300, 7)]);
    deepStrictEqual(got[1], [Buffer.from("z")]);
    for (const m of got) {
      for (const f of m) {
        expect(Object.getPrototypeOf(f)).toBe(Buffer.prototype);
        expect(f.constructor).toBe(Buffer);
      }
    }
    expect(inspect(got[1]![0])).toBe(inspect(Buffer.from("z")));
    expect(got[0]![1]!.buffer).toBe(wire.buffer);
  });
});

describe("large bodies: assembled in a buffer of their own, read into directly", () => {
  function longHeader(size: number, flags = 0): Buffer {
    const h = Buffer.alloc(9);
    h[0] = flags | 0x02;
    h.writeBigUInt64BE(BigInt(size), 1);
    return h;
  }

  it("a peer's declared size is not allocated before an eighth of it has arrived", () => {
    const got: Msg[] = [];
    const d = new MessageDecoder({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: -1 });
    const size = 1 << 30; // 1 GiB declared
    d.push(Buffer.concat([longHeader(size), Buffer.alloc(100_000, 1)]));
    expect(d.readTarget(1)).toBeUndefined(); // nothing allocated for it: only the 100 000 bytes held
    const big = 800_000;
    const d2 = new MessageDecoder({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: -1 });
    d2.push(Buffer.concat([longHeader(big), Buffer.alloc(big / 8 - 1, 2)]));
    expect(d2.readTarget(1)).toBeUndefined();
    d2.push(Buffer.alloc(1, 2)); // now an eighth is here
    const t = d2.readTarget(1)!;
    expect(t.length).toBe(big - big / 8);
    t.fill(3);
    d2.wrote(t.length);
    expect(got.length).toBe(1);
    const body = got[0]![0]!;
    expect(body.length).toBe(big);
    expect(body[0]).toBe(2);
    expect(body[big / 8 - 1]).toBe(2);
    expect(body[big / 8]).toBe(3);
    expect(body[big - 1]).toBe(3);
    // the read target was the body itself: no copy
    expect(t.buffer).toBe(body.buffer);
  });

  it("after a large body, the next one up to 8x its size gets its buffer at its header; a larger one still waits for an eighth", () => {
    const got: Msg[] = [];
    const first = 100_000;
    const fresh = () => {
      const d = new MessageDecoder({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: -1 });
      // one large body, spanning two chunks
      d.push(Buffer.concat([longHeader(first), Buffer.alloc(1000, 1)]));
      d.push(Buffer.alloc(first - 1000, 1));
      return d;
    };
    const d = fresh();
    expect(got.length).toBe(1);
    expect(got[0]![0]!.length).toBe(first);
    // 8x the last large body, 10 bytes of it here: its buffer exists already
    d.push(Buffer.concat([longHeader(8 * first), Buffer.alloc(10, 2)]));
    const t = d.readTarget(1)!;
    expect(t.length).toBe(8 * first - 10);
    t.fill(3);
    d.wrote(t.length);
    expect(got.length).toBe(2);
    const body = got[1]![0]!;
    expect(body.length).toBe(8 * first);
    expect(body[9]).toBe(2);
    expect(body[10]).toBe(3);
    expect(t.buffer).toBe(body.buffer);
    // one byte more than 8x: the eighth rule again
    const d2 = fresh();
    d2.push(Buffer.concat([longHeader(8 * first + 1), Buffer.alloc(10, 2)]));
    expect(d2.readTarget(1)).toBeUndefined();
    // and a decoder that has seen no large body yet waits too
    const d3 = new MessageDecoder({ onMessage: () => {}, onCommand: () => {} }, { maxMessageSize: -1 });
    d3.push(Buffer.concat([longHeader(first), Buffer.alloc(10, 2)]));
    expect(d3.readTarget(1)).toBeUndefined();
  });

  it("offers a target for a large command the sink accepted (CURVE boxes), none while suspended or with bytes waiting", () => {
    let suspend = true;
    const cmds: string[] = [];
    const d = new MessageDecoder({ onMessage: () => (suspend ? false : undefined), onCommand: (n) => void cmds.push(n) }, { maxMessageSize: -1 });
    // a command of 200 000 bytes: its size passed the header check, so it is assembled in place too
    const cmd = encodeCommand("X-BIG", Buffer.alloc(200_000, 1));
    d.push(cmd.subarray(0, 100_000));
    expect(d.readTarget(1)!.length).toBe(cmd.length - 100_000);
    d.push(cmd.subarray(100_000));
    expect(cmds).toEqual(["X-BIG"]);
    // a message, then a large one behind it while suspended
    const small = encodeMessage([Buffer.from("a")]);
    const large = encodeMessage([Buffer.alloc(200_000, 5)]);
    d.push(Buffer.concat([small, large.subarray(0, 100_000)]));
    expect(d.suspended).toBe(true);
    expect(d.readTarget(1)).toBeUndefined();
    suspend = false;
    d.resume();
    expect(d.readTarget(1)!.length).toBe(large.length - 100_000);
    d.push(Buffer.alloc(1)); // bytes pushed instead: they go in, the target shrinks
    expect(d.readTarget(1)!.length).toBe(large.length - 100_001);
  });

  it("a direct read larger than what is missing is refused (EPROTO), never written past the body", () => {
    const d = new MessageDecoder({ onMessage: () => {}, onCommand: () => {} }, { maxMessageSize: -1 });
    d.push(Buffer.concat([longHeader(100_000), Buffer.alloc(50_000)]));
    const t = d.readTarget(1)!;
    expect(t.length).toBe(50_000);
    expect(() => d.wrote(50_001)).toThrow(ZmqError);
  });
});
