// zeromq.js parity (#12 item 9): who owns a Buffer once send() has it. zeromq.js
// copies bytes of 128 or fewer when send() is called (its zero_copy_threshold)
// and references larger ones, so a small scratch Buffer may be reused at once.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { same } from "./harness.js";
import { COPY_THRESHOLD, toFrames } from "../../lib/core/message.js";

const T = 10_000;
let n = 0;
const endpoint = () => `inproc://parity-own-${process.pid}-${++n}`;

/** What arrived, after the sender overwrote its Buffer right after send(). */
function reusedAtOnce(size: number, kind: "buffer" | "uint8array" | "arraybuffer", transport: "inproc" | "tcp") {
  return same(async (lib, track) => {
    const pull = track(new lib.Pull({ receiveTimeout: 2000 }));
    const push = track(new lib.Push({ linger: 0 }));
    await pull.bind(transport === "tcp" ? "tcp://127.0.0.1:*" : endpoint());
    push.connect(pull.lastEndpoint!);
    const bytes = new Uint8Array(size).fill(0x61);
    const part = kind === "buffer" ? Buffer.from(bytes.buffer) : kind === "uint8array" ? bytes : bytes.buffer;
    const sent = push.send(part as never);
    bytes.fill(0x7a); // the caller reuses its scratch bytes before the send settles
    await sent;
    const [got] = await pull.receive();
    return got!.every((b) => b === 0x61) ? "as sent" : got!.every((b) => b === 0x7a) ? "overwritten" : "mixed";
  });
}

describe("send() copies small Buffers, as zeromq.js does", () => {
  test.each([1, 16, 128])("a %i-byte Buffer reused at once arrives as sent (inproc)", async (size) => {
    expect((await reusedAtOnce(size, "buffer", "inproc")).value).toBe("as sent");
  }, T);

  test.each([16, 128])("a %i-byte Buffer reused at once arrives as sent (tcp)", async (size) => {
    expect((await reusedAtOnce(size, "buffer", "tcp")).value).toBe("as sent");
  }, T);

  test("a small Uint8Array and a small ArrayBuffer are copied too", async () => {
    expect((await reusedAtOnce(16, "uint8array", "inproc")).value).toBe("as sent");
    expect((await reusedAtOnce(16, "arraybuffer", "inproc")).value).toBe("as sent");
  }, T);

  test("a Buffer above 128 bytes is referenced: overwritten before delivery, it arrives overwritten (inproc)", async () => {
    expect((await reusedAtOnce(129, "buffer", "inproc")).value).toBe("overwritten");
    expect((await reusedAtOnce(4096, "buffer", "inproc")).value).toBe("overwritten");
  }, T);

  test("a send that waits (no peer yet) holds its own copy", async () => {
    const z = await same(async (lib, track) => {
      const push = track(new lib.Push({ linger: 0 }));
      const address = endpoint();
      push.connect(address);
      const scratch = Buffer.alloc(16, 0x61);
      const sent = push.send(scratch);
      scratch.fill(0x7a);
      const pull = track(new lib.Pull({ receiveTimeout: 2000 }));
      await pull.bind(address);
      await sent;
      const [got] = await pull.receive();
      return got!.toString();
    });
    expect(z.value).toBe("a".repeat(16));
  }, T);

  test("each part of a multipart message follows the rule on its own", async () => {
    const z = await same(async (lib, track) => {
      const pull = track(new lib.Pull({ receiveTimeout: 2000 }));
      const push = track(new lib.Push({ linger: 0 }));
      await pull.bind(endpoint());
      push.connect(pull.lastEndpoint!);
      const small = Buffer.alloc(8, 0x61);
      const large = Buffer.alloc(200, 0x61);
      const sent = push.send([small, large]);
      small.fill(0x7a);
      large.fill(0x7a);
      await sent;
      const got = await pull.receive();
      return got.map((f) => String.fromCharCode(f[0]!)).join("");
    });
    expect(z.value).toBe("az");
  }, T);
});

describe("toFrames owns what it keeps", () => {
  test("at or below the threshold a frame is a copy in memory of its own; above it the caller's Buffer", () => {
    expect(COPY_THRESHOLD).toBe(128);
    const small = Buffer.alloc(COPY_THRESHOLD, 1);
    const [copy] = toFrames(small);
    expect(copy).not.toBe(small);
    expect(copy!.equals(small)).toBe(true);
    small[0] = 9;
    expect(copy![0]).toBe(1);
    const large = Buffer.alloc(COPY_THRESHOLD + 1, 1);
    expect(toFrames(large)[0]).toBe(large);
    // a small view into a large ArrayBuffer does not keep that memory: the copy has its own bytes
    const big = new ArrayBuffer(1 << 20);
    const [view] = toFrames(new Uint8Array(big, 100, 16));
    expect(view!.buffer).not.toBe(big);
    expect(toFrames(Buffer.alloc(0))[0]!.length).toBe(0);
  });

  test("a copy is a Buffer to every check a user makes: isBuffer, instanceof, constructor, subarray and slice", () => {
    const [c] = toFrames(Buffer.from("hello"));
    expect(Buffer.isBuffer(c)).toBe(true);
    expect(c instanceof Buffer).toBe(true);
    expect(c!.constructor).toBe(Buffer);
    expect(Buffer.isBuffer(c!.subarray(1))).toBe(true);
    expect(Buffer.isBuffer(c!.slice(1, 3))).toBe(true);
    expect(c!.subarray(1).toString()).toBe("ello");
    expect(c!.toString("hex")).toBe("68656c6c6f");
    expect(JSON.stringify(c)).toBe(JSON.stringify(Buffer.from("hello")));
    expect(Buffer.concat([c!, c!]).toString()).toBe("hellohello");
  });

  test("copies of any small length, many slabs' worth, keep their own bytes and never overlap", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: COPY_THRESHOLD }), { minLength: 1, maxLength: 400 }), (parts) => {
        const sources = parts.map((p) => Buffer.from(p));
        const copies = sources.map((s) => toFrames(s)[0]!);
        for (const s of sources) s.fill(0xee); // the caller reuses its scratch Buffers at once
        for (let i = 0; i < parts.length; i++) {
          expect(copies[i]!.length).toBe(parts[i]!.length);
          expect([...copies[i]!]).toEqual([...parts[i]!]);
          expect(copies[i]!.byteOffset % 8).toBe(0);
        }
      }),
      { numRuns: 60 },
    );
  }, T);
});
