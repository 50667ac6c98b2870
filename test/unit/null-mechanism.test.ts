import { describe, expect, it } from "vitest";
import { NullMechanism } from "../../lib/zmtp/mechanisms/null.js";
import { findSocketType, socketTypesCompatible } from "../../lib/core/socket-type.js";
import "../../index.js"; // registers the socket types
import { encodeMetadata, parseMetadata } from "../../lib/zmtp/commands.js";
import { ZmtpError } from "../../lib/zmtp/constants.js";
import { ZmqError } from "../../lib/core/errors.js";
import { errorCommand, isSocketType } from "../helpers.js";

const T = 5000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

function thrown(fn: () => unknown): ZmtpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ZmqError);
    return e as ZmtpError;
  }
  throw new Error("expected a throw");
}

describe("NullMechanism", () => {
  it("starts with libzmq's exact READY for PUSH", () => {
    const m = new NullMechanism({ socketType: "PUSH" });
    expect(m.name).toBe("NULL");
    expect(m.asServer).toBe(false);
    const out = m.start();
    expect(out.length).toBe(1);
    expect(out[0]!.name).toBe("READY");
    expect(out[0]!.data.equals(Buffer.concat([hex("0b"), Buffer.from("Socket-Type"), hex("00 00 00 04"), Buffer.from("PUSH")]))).toBe(true);
    expect(m.done).toBe(false);
  }, T);

  it("sends Identity only from REQ, DEALER and ROUTER (empty when unset), as their descriptors say", () => {
    const props = (type: string, routingId?: Buffer) => {
      const sendsIdentity = findSocketType(type)!.sendsIdentity;
      return parseMetadata(new NullMechanism(routingId ? { socketType: type, routingId, sendsIdentity } : { socketType: type, sendsIdentity }).start()[0]!.data);
    };
    expect(props("DEALER", Buffer.from("me")).get("Identity")!.toString()).toBe("me");
    expect(props("REQ").get("Identity")!.length).toBe(0);
    expect(props("ROUTER").has("Identity")).toBe(true);
    expect(props("PUB", Buffer.from("me")).has("Identity")).toBe(false);
    expect(props("PUSH").has("Identity")).toBe(false);
  }, T);

  it("adds extra properties without overriding Socket-Type", () => {
    const m = new NullMechanism({ socketType: "PAIR", properties: { "X-App": "v", "socket-type": "PUB" } });
    const p = parseMetadata(m.start()[0]!.data);
    expect(p.get("Socket-Type")!.toString()).toBe("PAIR");
    expect(p.get("X-App")!.toString()).toBe("v");
  }, T);

  it("completes when both READYs have crossed, in either order", () => {
    const a = new NullMechanism({ socketType: "DEALER", routingId: Buffer.from("A"), sendsIdentity: true });
    const b = new NullMechanism({ socketType: "ROUTER", sendsIdentity: true });
    const ra = a.start()[0]!;
    expect(b.onCommand(ra.name, ra.data)).toEqual([]);
    expect(b.done).toBe(false); // it has not sent its own READY yet
    const rb = b.start()[0]!;
    expect(b.done).toBe(true);
    expect(b.peer!.socketType).toBe("DEALER");
    expect(b.peer!.routingId!.toString()).toBe("A");
    a.onCommand(rb.name, rb.data);
    expect(a.done).toBe(true);
    expect(a.peer!.socketType).toBe("ROUTER");
    expect(a.peer!.routingId!.length).toBe(0);
    expect(a.peer!.properties.get("Socket-Type")!.toString()).toBe("ROUTER");
  }, T);

  it("rejects a READY without Socket-Type (RFC 37)", () => {
    const m = new NullMechanism({ socketType: "PULL" });
    m.start();
    const e = thrown(() => m.onCommand("READY", encodeMetadata({ "X-Foo": "bar" })));
    expect(e.code).toBe("EPROTO");
    expect(e.zmtpCode).toBe("ERR_ZMTP_INVALID_METADATA");
  }, T);

  it("rejects an incompatible Socket-Type", () => {
    const m = new NullMechanism({ socketType: "PULL" });
    m.start();
    const e = thrown(() => m.onCommand("READY", encodeMetadata({ "Socket-Type": "PUB" })));
    expect(e.code).toBe("EPROTO");
    expect(e.message).toMatch(/PULL.*PUB/);
  }, T);

  it("accepts a case-insensitive Socket-Type property name", () => {
    const m = new NullMechanism({ socketType: "PULL" });
    m.start();
    m.onCommand("READY", Buffer.concat([hex("0b"), Buffer.from("socket-type"), hex("00 00 00 04"), Buffer.from("PUSH")]));
    expect(m.done).toBe(true);
  }, T);

  it("rejects malformed metadata and an over-long Identity", () => {
    const m = new NullMechanism({ socketType: "ROUTER" });
    const bad = encodeMetadata({ "Socket-Type": "DEALER" });
    bad.writeUInt32BE(0xffffffff, 12);
    expect(thrown(() => m.onCommand("READY", bad)).zmtpCode).toBe("ERR_ZMTP_INVALID_METADATA");
    const m2 = new NullMechanism({ socketType: "ROUTER" });
    expect(thrown(() => m2.onCommand("READY", encodeMetadata({ "Socket-Type": "DEALER", Identity: Buffer.alloc(256) }))).code).toBe("EPROTO");
  }, T);

  it("throws on a peer ERROR, with its reason", () => {
    const m = new NullMechanism({ socketType: "REQ" });
    m.start();
    const c = errorCommand("400");
    const e = thrown(() => m.onCommand(c.name, c.data));
    expect(e.code).toBe("EPROTO");
    expect(e.peerReason).toBe("400");
    expect(e.status).toBe(400);
    const e2 = thrown(() => new NullMechanism({ socketType: "REQ" }).onCommand("ERROR", errorCommand("go away").data));
    expect(e2.peerReason).toBe("go away");
    expect(e2.status).toBeUndefined();
  }, T);

  it("rejects unexpected commands during and after the handshake", () => {
    const m = new NullMechanism({ socketType: "PAIR" });
    m.start();
    expect(thrown(() => m.onCommand("PING", hex("00 00"))).zmtpCode).toBe("ERR_ZMTP_UNEXPECTED_COMMAND");
    const m2 = new NullMechanism({ socketType: "PAIR" });
    m2.start();
    m2.onCommand("READY", encodeMetadata({ "Socket-Type": "PAIR" }));
    expect(thrown(() => m2.onCommand("READY", encodeMetadata({ "Socket-Type": "PAIR" }))).zmtpCode).toBe("ERR_ZMTP_UNEXPECTED_COMMAND");
  }, T);

  it("refuses to start twice", () => {
    const m = new NullMechanism({ socketType: "PAIR" });
    m.start();
    expect(thrown(() => m.start()).code).toBe("EFSM");
  }, T);
});

describe("socketTypesCompatible (RFC 37)", () => {
  const valid: Array<[string, string[]]> = [
    ["REQ", ["REP", "ROUTER"]],
    ["REP", ["REQ", "DEALER"]],
    ["DEALER", ["REP", "DEALER", "ROUTER"]],
    ["ROUTER", ["REQ", "DEALER", "ROUTER"]],
    ["PUB", ["SUB", "XSUB"]],
    ["XPUB", ["SUB", "XSUB"]],
    ["SUB", ["PUB", "XPUB"]],
    ["XSUB", ["PUB", "XPUB"]],
    ["PUSH", ["PULL"]],
    ["PULL", ["PUSH"]],
    ["PAIR", ["PAIR"]],
  ];
  const all = valid.map(([t]) => t);

  it("matches the table exactly, symmetrically", () => {
    for (const [a, peers] of valid) {
      for (const b of all) {
        expect(socketTypesCompatible(a, b), `${a}-${b}`).toBe(peers.includes(b));
        expect(socketTypesCompatible(b, a), `${b}-${a}`).toBe(peers.includes(b));
      }
    }
  }, T);

  it("rejects unknown types, and draft types until their descriptors are registered", () => {
    expect(socketTypesCompatible("CLIENT", "SERVER")).toBe(false);
    expect(socketTypesCompatible("RADIO", "DISH")).toBe(false);
    expect(socketTypesCompatible("dealer", "router")).toBe(true);
    expect(socketTypesCompatible("STREAM", "STREAM")).toBe(false);
    expect(socketTypesCompatible("FOO", "PAIR")).toBe(false);
    expect(isSocketType("xpub")).toBe(true);
    expect(isSocketType("toString")).toBe(false);
  }, T);
});
