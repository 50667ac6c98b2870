// The security options as libzmq (and so zeromq.js) treat them: the last one
// set picks the mechanism and the role; keys go in as Z85 or 32 bytes and
// come out as Z85. zeromq.js is the oracle for securityMechanism.
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";
import * as omq from "../../index.js";

const zmq = createRequire(import.meta.url)("zeromq") as typeof import("zeromq");
const keys = omq.curveKeyPair();

const SEQUENCES: Array<Array<[string, unknown]>> = [
  [],
  [["plainServer", true]],
  [["plainUsername", "u"]],
  [["plainUsername", "u"], ["plainPassword", "p"]],
  [["plainServer", true], ["plainServer", false]],
  [["curveServer", true]],
  [["curveServer", true], ["curveSecretKey", keys.secretKey]],
  [["curveServerKey", keys.publicKey]],
  [["curvePublicKey", keys.publicKey]],
  [["plainServer", true], ["curveServer", true]],
  [["curveServer", true], ["plainUsername", "u"]],
  [["curveServer", true], ["curveServer", false]],
  [["plainUsername", "u"], ["plainUsername", null]],
];

describe("securityMechanism and the server role follow the last option set (zeromq.js as the oracle)", () => {
  test.each(SEQUENCES.map((s) => [s.map(([k, v]) => `${k}=${String(v).slice(0, 8)}`).join(", ") || "(none)", s] as const))("%s", (_name, seq) => {
    const o = new omq.Dealer({ linger: 0 });
    const z = new zmq.Dealer({ linger: 0 });
    try {
      for (const [k, v] of seq) {
        (o as unknown as Record<string, unknown>)[k] = v;
        (z as unknown as Record<string, unknown>)[k] = v;
      }
      expect(o.securityMechanism).toBe(z.securityMechanism);
      expect(o.plainServer).toBe(z.plainServer);
      expect(o.curveServer).toBe(z.curveServer);
    } finally {
      o.close();
      z.close();
    }
  });
});

describe("CURVE keys", () => {
  test("Z85 strings and 32-byte Buffers are accepted; both read back as Z85", () => {
    const d = new omq.Dealer({ curvePublicKey: keys.publicKey, curveSecretKey: Buffer.from(decode(keys.secretKey)) });
    try {
      expect(d.curvePublicKey).toBe(keys.publicKey);
      expect(d.curveSecretKey).toBe(keys.secretKey);
      d.curveServerKey = null;
      expect(d.curveServerKey).toBeNull();
    } finally {
      d.close();
    }
  });

  test.each([
    ["39 characters", keys.publicKey.slice(1)],
    ["41 characters", keys.publicKey + "0"],
    ["a character outside Z85", `"${keys.publicKey.slice(1)}`],
    ["31 bytes", Buffer.alloc(31)],
  ])("%s: EINVAL", (_what, value) => {
    const d = new omq.Dealer();
    try {
      expect(() => (d.curveServerKey = value as string)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    } finally {
      d.close();
    }
  });

  test("a number is a TypeError", () => {
    expect(() => new omq.Dealer({ curveServerKey: 5 as never })).toThrow(TypeError);
  });
});

test("PLAIN credentials are 1 to 255 bytes (libzmq)", () => {
  const d = new omq.Dealer();
  try {
    expect(() => (d.plainUsername = "")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => (d.plainPassword = "x".repeat(256))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    d.plainPassword = "x".repeat(255);
    expect(d.plainPassword).toHaveLength(255);
  } finally {
    d.close();
  }
});

test("capability.curve is true, and zapEnforceDomain defaults to false", () => {
  expect(omq.capability.curve).toBe(true);
  const d = new omq.Dealer();
  expect(d.zapEnforceDomain).toBe(false);
  d.close();
});

function decode(z: string): Uint8Array {
  return z85ToBytes(z);
}

/** Z85 decoding written here from RFC 32 (not omq's), for an independent check. */
function z85ToBytes(s: string): Buffer {
  const A = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  const out = Buffer.alloc((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let k = 0; k < 5; k++) v = v * 85 + A.indexOf(s[i + k]!);
    out.writeUInt32BE(v, o);
  }
  return out;
}
