import { describe, expect, it } from "vitest";
import {
  encodeMetadata, getProperty, parseErrorReason, parseMetadata, parsePing, pingCommand, pongCommand, readyCommand,
  subscriptionMessage,
} from "../../lib/zmtp/commands.js";
import { ZmtpError } from "../../lib/zmtp/constants.js";
import { ZmqError } from "../../lib/core/errors.js";
import {
  cancelCommand, decodeCommand, encodeCommandBody, errorCommand, parseSubscriptionMessage, subscribeCommand,
} from "../helpers.js";

const T = 5000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

function expectProto(fn: () => unknown, zmtpCode?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZmqError);
    expect((e as ZmqError).code).toBe("EPROTO");
    if (zmtpCode !== undefined) expect((e as ZmtpError).zmtpCode).toBe(zmtpCode);
    return;
  }
  throw new Error("expected EPROTO");
}

const PUSH_META = Buffer.concat([hex("0b"), Buffer.from("Socket-Type"), hex("00 00 00 04"), Buffer.from("PUSH")]);

describe("metadata", () => {
  it("encodes libzmq's READY metadata bytes", () => {
    expect(encodeMetadata({ "Socket-Type": "PUSH" }).equals(PUSH_META)).toBe(true);
    const ready = readyCommand({ "Socket-Type": "PUSH" });
    expect(ready.name).toBe("READY");
    expect(encodeCommandBody(ready.name, ready.data).equals(Buffer.concat([hex("05"), Buffer.from("READY"), PUSH_META]))).toBe(true);
  }, T);

  it("spells Socket-Type and Identity exactly whatever the caller's case", () => {
    const m = parseMetadata(encodeMetadata({ "socket-type": "DEALER", IDENTITY: Buffer.from("id"), "X-Foo": "bar" }));
    expect([...m.keys()]).toEqual(["Socket-Type", "Identity", "X-Foo"]);
    expect(m.get("Identity")!.toString()).toBe("id");
  }, T);

  it("round-trips empty and binary values", () => {
    const bin = Buffer.from([0, 1, 2, 255]);
    const m = parseMetadata(encodeMetadata({ Identity: Buffer.alloc(0), "X-Bin": bin }));
    expect(m.get("Identity")!.length).toBe(0);
    expect(m.get("X-Bin")!.equals(bin)).toBe(true);
    expect(parseMetadata(Buffer.alloc(0)).size).toBe(0);
  }, T);

  it("keeps names as received and looks them up case-insensitively", () => {
    const m = parseMetadata(Buffer.concat([hex("0b"), Buffer.from("SOCKET-TYPE"), hex("00 00 00 03"), Buffer.from("PUB")]));
    expect(m.has("SOCKET-TYPE")).toBe(true);
    expect(getProperty(m, "Socket-Type")!.toString()).toBe("PUB");
    expect(getProperty(m, "identity")).toBeUndefined();
  }, T);

  it("copies values so they do not pin the received chunk", () => {
    const buf = Buffer.alloc(PUSH_META.length); // not from the shared pool
    PUSH_META.copy(buf);
    const v = parseMetadata(buf).get("Socket-Type")!;
    expect(v.buffer).not.toBe(buf.buffer);
    buf.fill(0);
    expect(v.toString()).toBe("PUSH");
  }, T);

  it("rejects a value length past the end, including 0xFFFFFFFF", () => {
    const bad = Buffer.from(PUSH_META);
    bad.writeUInt32BE(5, 12);
    expectProto(() => parseMetadata(bad), "ERR_ZMTP_INVALID_METADATA");
    bad.writeUInt32BE(0xffffffff, 12);
    expectProto(() => parseMetadata(bad), "ERR_ZMTP_INVALID_METADATA");
  }, T);

  it("rejects a name running past the end, a truncated value length and an empty name", () => {
    expectProto(() => parseMetadata(hex("0b 53 6f")));
    expectProto(() => parseMetadata(Buffer.concat([hex("01 41 00 00")])));
    expectProto(() => parseMetadata(hex("00 00 00 00 00")));
  }, T);

  it("refuses to encode invalid names", () => {
    expect(() => encodeMetadata({ "": "x" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => encodeMetadata({ ["X".repeat(256)]: "x" })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  }, T);
});

describe("command framing", () => {
  it("splits name and data, and rejects a name length past the body", () => {
    const c = decodeCommand(Buffer.concat([hex("04"), Buffer.from("PING"), hex("00 0a")]));
    expect(c.name).toBe("PING");
    expect(c.data.equals(hex("00 0a"))).toBe(true);
    expectProto(() => decodeCommand(hex("05 50 49")));
    expectProto(() => decodeCommand(hex("")));
    expectProto(() => decodeCommand(hex("00")));
  }, T);
});

describe("ERROR", () => {
  it("encodes reason length + reason and parses it back", () => {
    const c = errorCommand("Invalid credentials");
    expect(c.name).toBe("ERROR");
    expect(c.data[0]).toBe(19);
    expect(parseErrorReason(c.data)).toBe("Invalid credentials");
    expect(errorCommand("x".repeat(300)).data.length).toBe(256);
  }, T);

  it("rejects a reason length past the end", () => {
    expectProto(() => parseErrorReason(hex("05 61 62")), "ERR_ZMTP_MALFORMED_COMMAND_ERROR");
    expectProto(() => parseErrorReason(hex("")));
  }, T);
});

describe("PING / PONG", () => {
  it("encodes TTL (deciseconds, BE) and context", () => {
    const c = pingCommand(300, Buffer.from("ctx"));
    expect(c.name).toBe("PING");
    expect(c.data.equals(Buffer.concat([hex("01 2c"), Buffer.from("ctx")]))).toBe(true);
    expect(pingCommand(1e9).data.equals(hex("ff ff"))).toBe(true);
    expect(pingCommand(-5).data.equals(hex("00 00"))).toBe(true);
    expect(pingCommand(0, Buffer.alloc(40)).data.length).toBe(18);
  }, T);

  it("rejects a PING shorter than its TTL (frame body under 7 bytes)", () => {
    expectProto(() => parsePing(Buffer.alloc(0)));
    expectProto(() => parsePing(hex("00")));
    expect(parsePing(hex("00 00"))).toEqual({ ttl: 0, context: Buffer.alloc(0) });
  }, T);

  it("answers a PING with a 100-byte context with a 16-byte PONG", () => {
    const ctx = Buffer.alloc(100);
    for (let i = 0; i < 100; i++) ctx[i] = i;
    const ping = parsePing(Buffer.concat([hex("00 64"), ctx]));
    expect(ping.ttl).toBe(100);
    expect(ping.context.length).toBe(16);
    const pong = pongCommand(ping.context);
    expect(pong.name).toBe("PONG");
    expect(pong.data.equals(ctx.subarray(0, 16))).toBe(true);
    expect(pongCommand(ctx).data.length).toBe(16);
  }, T);
});

describe("subscriptions", () => {
  it("builds SUBSCRIBE / CANCEL commands", () => {
    expect(subscribeCommand(Buffer.from("t"))).toEqual({ name: "SUBSCRIBE", data: Buffer.from("t") });
    expect(cancelCommand(Buffer.from("t"))).toEqual({ name: "CANCEL", data: Buffer.from("t") });
  }, T);

  it("builds and recognises 0x01/0x00 subscription messages", () => {
    const m = subscriptionMessage(true, Buffer.from("abc"));
    expect(m[0]!.equals(hex("01 61 62 63"))).toBe(true);
    expect(parseSubscriptionMessage(m)).toEqual({ subscribe: true, topic: Buffer.from("abc") });
    expect(parseSubscriptionMessage(subscriptionMessage(false, Buffer.alloc(0)))).toEqual({ subscribe: false, topic: Buffer.alloc(0) });
    expect(parseSubscriptionMessage([hex("02 61")])).toBeUndefined();
    expect(parseSubscriptionMessage([Buffer.alloc(0)])).toBeUndefined();
    expect(parseSubscriptionMessage([hex("01"), hex("01")])).toBeUndefined();
  }, T);
});
