// The two X25519 paths give libsodium's crypto_box_beforenm: node:crypto's
// (where there is one) and libsodium's own (a browser, or a secret without a
// KeyObject); long-term keys are derived once per key bytes.
import sodium from "libsodium-wrappers-sumo";
import { beforeAll, expect, test } from "vitest";
import { type Sodium, boxKey, boxKeyPair, loadSodium, longTermKey, longTermPublicKey, publicKey } from "../../lib/zmtp/mechanisms/sodium.js";

let s: Sodium;
beforeAll(async () => {
  s = await loadSodium();
  await sodium.ready;
});

test("boxKey equals crypto_box_beforenm on both paths, for fresh and long-term keys", () => {
  for (let i = 0; i < 20; i++) {
    const peer = sodium.crypto_box_keypair();
    const mine = boxKeyPair(s);
    const want = Buffer.from(sodium.crypto_box_beforenm(peer.publicKey, mine.secretKey.raw));
    const theirs = publicKey(peer.publicKey);
    expect(Buffer.from(boxKey(s, theirs, mine.secretKey))).toEqual(want);
    // one imported public key serves several shared keys
    expect(Buffer.from(boxKey(s, theirs, mine.secretKey))).toEqual(want);
    expect(Buffer.from(boxKey(s, theirs, { raw: mine.secretKey.raw }))).toEqual(want);
    expect(Buffer.from(boxKey(s, { raw: peer.publicKey }, mine.secretKey))).toEqual(want);
    expect(Buffer.from(mine.publicKey)).toEqual(Buffer.from(sodium.crypto_scalarmult_base(mine.secretKey.raw)));
    const long = longTermKey(s, peer.privateKey);
    expect(Buffer.from(boxKey(s, publicKey(mine.publicKey), long.secretKey))).toEqual(want);
    expect(Buffer.from(boxKey(s, longTermPublicKey(mine.publicKey), long.secretKey))).toEqual(want);
  }
});

test("a long-term key is worked out once per key bytes, whatever Buffer carries them", () => {
  const k = sodium.crypto_box_keypair().privateKey;
  const a = longTermKey(s, Buffer.from(k));
  const b = longTermKey(s, Uint8Array.from(k));
  expect(b).toBe(a);
  expect(Buffer.from(a.publicKey)).toEqual(Buffer.from(sodium.crypto_scalarmult_base(k)));
  const p = sodium.crypto_box_keypair().publicKey;
  expect(longTermPublicKey(Uint8Array.from(p))).toBe(longTermPublicKey(Buffer.from(p)));
  // the entry keeps its own bytes: a caller's Buffer reused later cannot change it
  const scratch = Buffer.from(p);
  const entry = longTermPublicKey(scratch);
  scratch.fill(0);
  expect(Buffer.from(entry.raw)).toEqual(Buffer.from(p));
});

test("an all-zero public key gives no box key on either path", () => {
  const mine = boxKeyPair(s);
  expect(() => boxKey(s, publicKey(new Uint8Array(32)), mine.secretKey)).toThrow();
  expect(() => boxKey(s, publicKey(new Uint8Array(32)), { raw: mine.secretKey.raw })).toThrow();
});
