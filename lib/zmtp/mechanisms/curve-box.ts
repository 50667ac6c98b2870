// Nonces and boxes of the CURVE handshake (RFC 26): 24-byte nonces made of a
// command's prefix and a short nonce, and box opening that reports failure
// as undefined (the wrappers throw).
import type { Sodium } from "./sodium.js";

const TWO_32 = 4294967296;

/** An 8-byte big-endian short nonce. */
export function shortNonceBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(Math.floor(n / TWO_32), 0);
  b.writeUInt32BE(n >>> 0, 4);
  return b;
}

/** A 16-byte prefix ("CurveZMQHELLO---") and a short nonce. */
export function fullNonce(prefix: string, n: number): Buffer {
  return Buffer.concat([Buffer.from(prefix, "latin1"), shortNonceBytes(n)]);
}

/** crypto_box_open_easy_afternm, or undefined when the box does not verify. */
export function boxOpenAfternm(s: Sodium, box: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  try {
    return s.crypto_box_open_easy_afternm(box, nonce, key);
  } catch {
    return undefined;
  }
}
