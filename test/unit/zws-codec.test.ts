// The ZWS codec's pieces without sockets: control frames against a fake
// wire, and the sink's limits applied to fragmented messages at every
// fragment (before the handshake a fragmented command must be bounded as a
// single-frame one is).
import { describe, expect, test } from "vitest";
import { MessageAssembler } from "../../lib/zmtp/assembler.js";
import { HANDSHAKE_COMMAND_MAX } from "../../lib/zmtp/constants.js";
import { zwsCodec } from "../../lib/zws/codec.js";
import { ZwsDecoder } from "../../lib/zws/decoder.js";

/** A client→server frame: FIN, opcode, masked with a fixed key. */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const key = Buffer.of(9, 8, 7, 6);
  const len = payload.length;
  const head = len < 126 ? Buffer.of((fin ? 0x80 : 0) | opcode, 0x80 | len) : len < 65536 ? Buffer.of((fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255) : (() => {
    const h = Buffer.alloc(10);
    h[0] = (fin ? 0x80 : 0) | opcode;
    h[1] = 0x80 | 127;
    h.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    h.writeUInt32BE(len >>> 0, 6);
    return h;
  })();
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, body]);
}

function fakeWire(ended: boolean) {
  const written: Buffer[] = [];
  return { written, wire: { write: (b: Buffer) => written.push(b), end: (): unknown => undefined, destroy: () => {}, writableLength: 0, writableEnded: ended } };
}

describe("control frames", () => {
  test.each([[false, 1], [true, 0]] as const)("a ping is answered unless the wire has ended (ended: %s)", (ended, pongs) => {
    const { written, wire } = fakeWire(ended);
    const codec = zwsCodec({ server: true, protocol: "ZWS2.0/NULL", maxMessageSize: -1, wire })({ mechanism: "NULL", asServer: false, socketType: 7, routingId: Buffer.alloc(0) });
    const frames: Buffer[] = [];
    const dec = codec.decoder({ frameHeader: () => {}, frame: (_f, b) => void frames.push(b) }, { mechanism: "NULL", asServer: false, subscriptionCommands: false });
    dec.push(frame(0x9, Buffer.from("hi")));
    expect(written.length).toBe(pongs);
    if (pongs) expect([...written[0]!.subarray(0, 4)]).toEqual([0x8a, 0x02, 0x68, 0x69]); // unmasked pong "hi"
  });
});

describe("close frames", () => {
  test.each([[1000, 1000], [4001, 4001], [1006, 1000], [1015, 1000], [2999, 1000]] as const)("a close with %i is answered with %i, then the wire ends", (code, answer) => {
    const { written, wire } = fakeWire(false);
    let ended = 0;
    wire.end = () => void ended++;
    const codec = zwsCodec({ server: true, protocol: "ZWS2.0/NULL", maxMessageSize: -1, wire })({ mechanism: "NULL", asServer: false, socketType: 7, routingId: Buffer.alloc(0) });
    const dec = codec.decoder({ frameHeader: () => {}, frame: () => {} }, { mechanism: "NULL", asServer: false, subscriptionCommands: false });
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code);
    dec.push(frame(0x8, body));
    expect(written.length).toBe(1);
    expect([...written[0]!.subarray(0, 2)]).toEqual([0x88, 0x02]);
    expect(written[0]!.readUInt16BE(2)).toBe(answer);
    expect(ended).toBe(1);
  });
});

describe("fragmented messages meet the sink's limits fragment by fragment", () => {
  const noControl = { ping: () => {}, closed: () => {} };
  test("a fragmented command before the handshake stops at the handshake command limit", () => {
    const a = new MessageAssembler({ onMessage: () => {}, onCommand: () => {} }, { maxMessageSize: -1, maxCommandSize: HANDSHAKE_COMMAND_MAX });
    a.acceptData = false;
    const dec = new ZwsDecoder(a, { masked: true, maxMessageSize: -1, control: noControl });
    dec.push(frame(0x2, Buffer.of(0x02, 5, ...Buffer.from("HELLO")), false));
    const MiB = Buffer.alloc(1 << 20);
    let fragments = 0;
    expect(() => {
      for (; fragments < 10; fragments++) dec.push(frame(0x0, MiB, false));
    }).toThrow(expect.objectContaining({ code: "EMSGSIZE" }));
    // refused at the first fragment past 64 KiB, before it was kept
    expect(fragments).toBe(0);
  });

  test("a fragmented data message before READY is refused at its first fragment", () => {
    const a = new MessageAssembler({ onMessage: () => {}, onCommand: () => {} }, { maxMessageSize: -1 });
    a.acceptData = false;
    const dec = new ZwsDecoder(a, { masked: true, maxMessageSize: -1, control: noControl });
    expect(() => dec.push(frame(0x2, Buffer.of(0x00, 1, 2, 3), false))).toThrow(/before the handshake/);
  });

  test("after the handshake a fragmented message within the limits is delivered whole", () => {
    const got: Buffer[][] = [];
    const a = new MessageAssembler({ onMessage: (m) => void got.push(m), onCommand: () => {} }, { maxMessageSize: 10_000 });
    const dec = new ZwsDecoder(a, { masked: true, maxMessageSize: 10_000, control: noControl });
    dec.push(frame(0x2, Buffer.of(0x00, 1), false));
    dec.push(frame(0x9, Buffer.from("p"))); // a ping between fragments
    dec.push(frame(0x0, Buffer.alloc(5000, 2), false));
    dec.push(frame(0x0, Buffer.alloc(4999, 3)));
    expect(got.length).toBe(1);
    expect(got[0]![0]!.length).toBe(10_000);
    expect(() => {
      dec.push(frame(0x2, Buffer.of(0x00), false));
      dec.push(frame(0x0, Buffer.alloc(10_001)));
    }).toThrow(expect.objectContaining({ code: "EMSGSIZE" }));
  });
});
