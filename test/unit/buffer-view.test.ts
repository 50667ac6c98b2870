import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { bufferView } from "../../lib/buffer-view.js";
import { ZmtpDecoder } from "../../lib/zmtp-decoder.js";
import { encodeMessage } from "../../lib/zmtp-encoder.js";

describe("bufferView: decoded frames are Buffers in every way an application sees", () => {
  it("shares memory and behaves as a Buffer", () => {
    const backing = Buffer.from("xxhello worldyy");
    const v = bufferView(backing.buffer, backing.byteOffset + 2, 11);
    expect(Buffer.isBuffer(v)).toBe(true);
    expect(v instanceof Buffer).toBe(true);
    expect(v instanceof Uint8Array).toBe(true);
    expect(v.constructor).toBe(Buffer);
    expect(v.length).toBe(11);
    expect(v.toString()).toBe("hello world");
    expect(v.equals(Buffer.from("hello world"))).toBe(true);
    expect(v.readUInt8(0)).toBe(0x68);
    expect(inspect(v)).toBe(inspect(Buffer.from("hello world")));
    const sub = v.subarray(6);
    expect(Buffer.isBuffer(sub)).toBe(true);
    expect(sub.toString()).toBe("world");
    expect(Buffer.concat([v, sub]).toString()).toBe("hello worldworld");
    expect(JSON.stringify(v)).toBe(JSON.stringify(Buffer.from("hello world")));
    // a view, not a copy
    backing[2] = 0x48;
    expect(v.toString()).toBe("Hello world");
  });

  it("the decoder hands out such views, one per frame, zero-copy", () => {
    const wire = Buffer.concat([encodeMessage([Buffer.from("a"), Buffer.alloc(300, 7)]), encodeMessage([Buffer.from("z")])]);
    const got: Buffer[][] = [];
    const d = new ZmtpDecoder({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: -1 });
    d.push(wire);
    expect(got.length).toBe(2);
    for (const m of got) for (const f of m) expect(Buffer.isBuffer(f)).toBe(true);
    expect(got[0]![1]!.equals(Buffer.alloc(300, 7))).toBe(true);
    expect(got[0]![1]!.buffer).toBe(wire.buffer);
    expect(got[1]![0]!.toString()).toBe("z");
  });
});
