// Z85 (RFC 32) and curveKeyPair().
import { createPrivateKey, createPublicKey } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { curveKeyPair } from "../../index.js";
import { z85Decode, z85Encode } from "../../lib/core/z85.js";

describe("Z85", () => {
  it("encodes RFC 32's test vector", () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect([...z85Decode("HelloWorld")]).toEqual([...bytes]);
  });

  it("decode(encode(x)) = x for any multiple of 4 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }).map((a) => a.subarray(0, a.length - (a.length % 4))), (a) => {
        expect([...z85Decode(z85Encode(a))]).toEqual([...a]);
      }),
    );
  });

  it("rejects bad lengths and characters with EINVAL", () => {
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => z85Decode("abcd")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => z85Decode("abc\"d")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => z85Decode("#####")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

describe("curveKeyPair", () => {
  it("returns a matching X25519 pair as 40-character Z85 strings, different each time", () => {
    const a = curveKeyPair();
    const b = curveKeyPair();
    expect(a.publicKey).toHaveLength(40);
    expect(a.secretKey).toHaveLength(40);
    expect(a.publicKey).not.toBe(b.publicKey);
    // the public key is the one derived from the secret key
    const d = z85Decode(a.secretKey).toString("base64url");
    const x = z85Decode(a.publicKey).toString("base64url");
    const priv = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d, x }, format: "jwk" });
    const derived = createPublicKey(priv).export({ format: "jwk" }).x;
    expect(derived).toBe(x);
  });
});
