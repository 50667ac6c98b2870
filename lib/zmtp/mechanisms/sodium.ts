// The cryptography of CURVE (RFC 26, NaCl's crypto_box: X25519, XSalsa20,
// Poly1305) from libsodium itself, compiled to WebAssembly (libsodium.js):
// audited code, the same in Node and in a browser bundle, and the fastest of
// the JavaScript options measured (README "Security"). Loaded on first use,
// so sockets without CURVE never pay for it.
//
// Handshake steps use the library's wrappers (a few per connection). Every
// frame after the handshake goes through FrameBoxes, which keeps its own
// region of the WebAssembly memory: one copy in, the box sealed or opened in
// place, one copy out, no allocation inside the library and none in
// JavaScript but the opened frame itself.
import type SodiumModule from "libsodium-wrappers";

export type Sodium = typeof SodiumModule;

/** The raw Emscripten module under the wrappers (libsodium.js exposes it as
 * `libsodium`): exported C functions and the heap. */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _crypto_box_easy_afternm(c: number, m: number, mlenLo: number, mlenHi: number, n: number, k: number): number;
  _crypto_box_open_easy_afternm(m: number, c: number, clenLo: number, clenHi: number, n: number, k: number): number;
}

let lib: Sodium | undefined;
let loading: Promise<Sodium> | undefined;

/** Start loading libsodium (idempotent); resolves once it is usable. */
export function loadSodium(): Promise<Sodium> {
  loading ??= import("libsodium-wrappers").then(async (m) => {
    const s = ((m as { default?: Sodium }).default ?? m) as Sodium;
    await s.ready;
    lib = s;
    return s;
  });
  return loading;
}

/** libsodium if it has loaded, else undefined (then await loadSodium()). */
export function sodiumNow(): Sodium | undefined {
  return lib;
}

export const MAC_BYTES = 16;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
/** Frames up to this size reuse one region of WebAssembly memory; a larger
 * one gets a region of its own, freed after it. */
const REGION_BYTES = 128 * 1024;

/**
 * Seal and open frames with a connection's precomputed key
 * (crypto_box_beforenm), in one region of WebAssembly memory shared by every
 * connection (JavaScript runs one box at a time). The key and nonce are
 * copied in per call (56 bytes), so a connection owns no WebAssembly memory
 * and nothing leaks when it goes away.
 */
export class FrameBoxes {
  private readonly raw: RawSodium;
  /** key (32) then nonce (24), then the data region. */
  private readonly params: number;
  private readonly region: number;
  /** The key now in `params` (a connection's, reused while it keeps sending). */
  private lastKey: Uint8Array | undefined;

  constructor(s: Sodium) {
    this.raw = (s as unknown as { libsodium: RawSodium }).libsodium;
    this.params = this.raw._malloc(KEY_BYTES + NONCE_BYTES);
    this.region = this.raw._malloc(REGION_BYTES);
  }

  private setParams(heap: Uint8Array, key: Uint8Array, nonce: Uint8Array, big: boolean): void {
    // after a malloc the memory may have grown: the key is copied again
    if (key !== this.lastKey || big) {
      heap.set(key, this.params);
      this.lastKey = key;
    }
    heap.set(nonce, this.params + KEY_BYTES);
  }

  /** crypto_box_easy_afternm of `flags` then `body`: writes MAC and ciphertext
   * (MAC_BYTES + 1 + body.length bytes) into `out` at `at`. */
  seal(key: Uint8Array, nonce: Uint8Array, flags: number, body: Uint8Array, out: Uint8Array, at: number): void {
    const mlen = 1 + body.length;
    const r = this.raw;
    const big = mlen + MAC_BYTES > REGION_BYTES;
    const p = big ? r._malloc(mlen + MAC_BYTES) : this.region;
    // the heap view changes when the memory grows: read it after any malloc
    const heap = r.HEAPU8;
    this.setParams(heap, key, nonce, big);
    // the plaintext sits MAC_BYTES in: the box (MAC first) is written over it in place
    heap[p + MAC_BYTES] = flags;
    copyInto(heap, p + MAC_BYTES + 1, body, 0, body.length);
    r._crypto_box_easy_afternm(p, p + MAC_BYTES, mlen, 0, this.params + KEY_BYTES, this.params);
    copyInto(out, at, r.HEAPU8, p, MAC_BYTES + mlen);
    if (big) r._free(p);
  }

  /** Open the box at src[start, end) (MAC + ciphertext of flags + body): the
   * body as a new Buffer, its flags byte in `openedFlags`; undefined if the
   * box does not verify. */
  openedFlags = 0;
  open(key: Uint8Array, nonce: Uint8Array, src: Uint8Array, start: number, end: number): Buffer | undefined {
    const clen = end - start;
    if (clen < MAC_BYTES + 1) return undefined;
    const r = this.raw;
    const big = clen > REGION_BYTES;
    const p = big ? r._malloc(clen) : this.region;
    const heap = r.HEAPU8;
    this.setParams(heap, key, nonce, big);
    copyInto(heap, p, src, start, clen);
    const rc = r._crypto_box_open_easy_afternm(p, p, clen, 0, this.params + KEY_BYTES, this.params);
    let out: Buffer | undefined;
    if (rc === 0) {
      const h = r.HEAPU8;
      this.openedFlags = h[p]!;
      const n = clen - MAC_BYTES - 1;
      out = Buffer.allocUnsafe(n);
      copyInto(out, 0, h, p + 1, n);
    }
    if (big) r._free(p);
    return out;
  }
}

/** dst[at..] = src[from, from + n): a loop for the small copies of the hot
 * path (no view object), TypedArray.set for the rest. */
function copyInto(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n <= 64) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i]!;
    return;
  }
  dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at);
}

/** Random bytes from the platform's CSPRNG in one call (libsodium.js's own
 * randombytes asks for 4 bytes at a time: 230 µs for 32 bytes here). */
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** A fresh X25519 key pair (crypto_box_keypair, with randomBytes). */
export function boxKeyPair(s: Sodium): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const secretKey = randomBytes(KEY_BYTES);
  return { publicKey: s.crypto_scalarmult_base(secretKey), secretKey };
}

const publicKeys = new WeakMap<Uint8Array, Uint8Array>();

/** The public key of a long-term secret key, worked out once per key. */
export function publicKeyOf(s: Sodium, secretKey: Uint8Array): Uint8Array {
  let pk = publicKeys.get(secretKey);
  if (pk === undefined) publicKeys.set(secretKey, (pk = s.crypto_scalarmult_base(secretKey)));
  return pk;
}

let boxes: FrameBoxes | undefined;

/** The process's FrameBoxes (libsodium must have loaded). */
export function frameBoxes(s: Sodium): FrameBoxes {
  return (boxes ??= new FrameBoxes(s));
}
