// RFC 6455 masking: payload byte i is XORed with key byte i % 4. Whole
// aligned words go through a Uint32Array (the key rotated to the word's
// phase), the ends byte by byte. The same function masks and unmasks.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Below this many bytes a word view costs more than it saves. */
const WORD_MIN = 64;

/**
 * XOR `buf[start, end)` with `key` (the 4 key bytes, big-endian in a uint32),
 * where buf[start] is payload byte number `phase` (mod 4).
 */
export function applyMask(buf: Uint8Array, start: number, end: number, key: number, phase: number): void {
  let i = start;
  let p = phase & 3;
  if (end - i >= WORD_MIN) {
    while (((buf.byteOffset + i) & 3) !== 0) {
      buf[i] = buf[i]! ^ keyByte(key, p);
      i++;
      p = (p + 1) & 3;
    }
    const words = (end - i) >>> 2;
    const b0 = keyByte(key, p), b1 = keyByte(key, p + 1), b2 = keyByte(key, p + 2), b3 = keyByte(key, p + 3);
    const w = LITTLE_ENDIAN ? (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) : ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3);
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j++) u32[j] = u32[j]! ^ w;
    i += words * 4; // four bytes: the phase is unchanged
  }
  while (i < end) {
    buf[i] = buf[i]! ^ keyByte(key, p);
    i++;
    p = (p + 1) & 3;
  }
}

function keyByte(key: number, p: number): number {
  return (key >>> ((3 - (p & 3)) * 8)) & 0xff;
}

const POOL_KEYS = 1024;
let pool = new Uint32Array(0);
let next = 0;

/** A random masking key (RFC 6455 §5.3: unpredictable), from a pool the
 * platform's CSPRNG refills 1024 keys at a time. */
export function randomMaskKey(): number {
  if (next >= pool.length) {
    if (pool.length === 0) pool = new Uint32Array(POOL_KEYS);
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  return pool[next++]!;
}
