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
import type SodiumModule from "libsodium-wrappers-sumo";
import { ZmqError } from "../../core/errors.js";
import { ERR_ZMTP_UNSPECIFIED, ZmtpError } from "../constants.js";

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

/** node:crypto's X25519, where there is one (not in a browser). */
type NodeCrypto = typeof import("node:crypto");
let native: NodeCrypto | undefined;

/** Start loading libsodium (idempotent); resolves once it is usable. */
export function loadSodium(): Promise<Sodium> {
  loading ??= (async () => {
    const m = await import("libsodium-wrappers-sumo");
    const s = ((m as { default?: Sodium }).default ?? m) as Sodium;
    await s.ready;
    if ((globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined) {
      native = await import("node:crypto").then((c) => (usableNativeX25519(c, s) ? c : undefined), () => undefined);
    }
    lib = s;
    return s;
  })();
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
    if (p === 0) throw new ZmqError("ENOMEM", `no WebAssembly memory to seal a frame of ${body.length} bytes`);
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
    // a failed malloc returns 0: copying there would wreck libsodium's memory
    if (p === 0) throw new ZmtpError("ENOMEM", ERR_ZMTP_UNSPECIFIED, `no WebAssembly memory to open a frame of ${clen} bytes`);
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

// --- X25519 and crypto_box_beforenm
//
// beforenm(P, s) = HSalsa20(X25519(s, P)), as libsodium's. The X25519 comes
// from node:crypto where it exists: 74 µs per shared key here (importing the
// peer's key as JWK, then diffieHellman) against 180 µs in WebAssembly, and a
// CURVE handshake needs three on each side. HSalsa20 always comes from
// libsodium (4 µs). In a browser everything is libsodium's.

/** A secret key: its bytes, and node:crypto's KeyObject for it when native. */
export interface SecretKey {
  readonly raw: Uint8Array;
  readonly native?: unknown;
}

const ZERO16 = new Uint8Array(16);
const b64url = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");

/** A fresh short-term key pair. Not node:crypto's generateKeyPairSync: on
 * Node 20 its job's destructor, run by a garbage collection that starts
 * inside a JWK export, waits on a mutex the export holds, and the process
 * hangs (seen here, a gdb backtrace: ~KeyGenJob under ExportJWKEdKey). */
export function boxKeyPair(s: Sodium): { publicKey: Uint8Array; secretKey: SecretKey } {
  const raw = randomBytes(KEY_BYTES);
  const publicKey = s.crypto_scalarmult_base(raw);
  return { publicKey, secretKey: nativeSecret(raw, publicKey) };
}

/** A SecretKey with node:crypto's KeyObject for it, where there is one. */
function nativeSecret(raw: Uint8Array, publicKey: Uint8Array): SecretKey {
  const c = native;
  if (c === undefined) return { raw };
  return { raw, native: c.createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64url(raw), x: b64url(publicKey) }, format: "jwk" }) };
}

/** Long-term keys by their bytes: a process uses a few, and every socket made
 * with the same key option (a new one per connection, as a client pool does)
 * shares one entry. Bounded: the oldest goes past LONG_TERM_MAX. */
const LONG_TERM_MAX = 64;

/** The entry of `cache` for the key bytes `raw`, made from a copy of them once. */
function byKeyBytes<T>(cache: Map<string, T>, raw: Uint8Array, make: (copy: Uint8Array) => T): T {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("latin1");
  let k = cache.get(id);
  if (k === undefined) {
    k = make(Uint8Array.from(raw));
    if (cache.size >= LONG_TERM_MAX) cache.delete(cache.keys().next().value!);
    cache.set(id, k);
  }
  return k;
}

const longTerm = new Map<string, { publicKey: Uint8Array; secretKey: SecretKey }>();

/** A long-term secret key (a socket option) and its public key, worked out
 * once per key. */
export function longTermKey(s: Sodium, raw: Uint8Array): { publicKey: Uint8Array; secretKey: SecretKey } {
  return byKeyBytes(longTerm, raw, (copy) => {
    const publicKey = s.crypto_scalarmult_base(copy);
    return { publicKey, secretKey: nativeSecret(copy, publicKey) };
  });
}

/** A peer's public key: its bytes, and node:crypto's KeyObject for it when
 * native, imported once however many shared keys use it (18 µs each here). */
export interface PublicKey {
  readonly raw: Uint8Array;
  readonly native?: unknown;
}

/** A peer's public key, ready for boxKey (may throw on bytes node:crypto refuses). */
export function publicKey(raw: Uint8Array): PublicKey {
  const c = native;
  if (c === undefined) return { raw };
  return { raw, native: c.createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64url(raw) }, format: "jwk" }) };
}

/** Long-term public keys (a client's server key, a server's returning
 * clients), imported once per key; bounded as longTerm. */
const longTermPublic = new Map<string, PublicKey>();

export function longTermPublicKey(raw: Uint8Array): PublicKey {
  return byKeyBytes(longTermPublic, raw, publicKey);
}

/** crypto_box_beforenm(peer, secret). Throws on a key that gives no
 * usable secret (a low-order point, as libsodium refuses). */
export function boxKey(s: Sodium, peer: PublicKey, secret: SecretKey): Uint8Array {
  const c = native;
  if (c === undefined || secret.native === undefined || peer.native === undefined) return s.crypto_box_beforenm(peer.raw, secret.raw);
  const shared = c.diffieHellman({ privateKey: secret.native as import("node:crypto").KeyObject, publicKey: peer.native as import("node:crypto").KeyObject });
  return s.crypto_core_hsalsa20(ZERO16, shared, null);
}

/** The native path must give libsodium's answer; if this runtime's does not
 * (or lacks X25519), libsodium's own is used. */
function usableNativeX25519(c: NodeCrypto, s: Sodium): boolean {
  try {
    const a = s.crypto_box_keypair();
    const b = s.crypto_box_keypair();
    const key = c.createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64url(a.privateKey), x: b64url(a.publicKey) }, format: "jwk" });
    const shared = c.diffieHellman({ privateKey: key, publicKey: c.createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64url(b.publicKey) }, format: "jwk" }) });
    const want = s.crypto_box_beforenm(b.publicKey, a.privateKey);
    return Buffer.compare(Buffer.from(s.crypto_core_hsalsa20(ZERO16, shared, null)), Buffer.from(want)) === 0;
  } catch {
    return false;
  }
}

let boxes: FrameBoxes | undefined;

/** The process's FrameBoxes (libsodium must have loaded). */
export function frameBoxes(s: Sodium): FrameBoxes {
  return (boxes ??= new FrameBoxes(s));
}
