// Test payloads and ways to compare them that stay fast and readable for
// large frames.
import { createHash } from "node:crypto";

/** A frame as tests write it. */
export type Part = string | Buffer;

export function toBuf(p: Part): Buffer {
  return typeof p === "string" ? Buffer.from(p) : p;
}

/** Frames as strings, for readable assertions. */
export function str(msg: Buffer[]): string[] {
  return msg.map((b) => b.toString());
}

/** `size` xorshift bytes from `seed`: no short period, so an offset error
 * shows (zeros, or a ramp, would hide it). */
export function noiseBytes(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761 + 1) >>> 0;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b.writeUInt32LE(x, i);
  }
  for (; i < size; i++) b[i] = (seed + i) & 0xff;
  return b;
}

/** `n` bytes (i * 31 + k * 7) & 0xff for message i: the bodies the pgm
 * child-process fixtures send (fixtures/common.mjs message()). */
export function rampBytes(i: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Messages as short strings (length + sha1 per frame), for fast, readable
 * comparisons: deep equality of large Buffers is slow in expect(). Same form
 * as fixtures/common.mjs digest(). */
export function digest(msgs: Buffer[][]): string[] {
  return msgs.map((m) => m.map((f) => `${f.length}:${createHash("sha1").update(f).digest("hex").slice(0, 12)}`).join("|"));
}

function describeFrames(m: readonly Part[]): string {
  const shown = m.slice(0, 6).map((f) => {
    const b = toBuf(f);
    return b.length <= 24 ? JSON.stringify(b.toString("latin1")) : `<${b.length} bytes>`;
  });
  return `[${shown.join(", ")}${m.length > 6 ? `, ... (${m.length} parts)` : ""}]`;
}

/** Throws unless `got` has exactly the frames of `want` (byte-equal, same count).
 * Cheap for large frames, and the error says where they differ. */
export function assertFrames(got: readonly Buffer[], want: readonly Part[], what: string): void {
  if (got.length !== want.length) {
    throw new Error(`${what}: got ${got.length} parts ${describeFrames(got)}, want ${want.length} ${describeFrames(want)}`);
  }
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = toBuf(want[i]!);
    if (!Buffer.isBuffer(g)) throw new Error(`${what}: part ${i} is not a Buffer`);
    if (g.length !== w.length || !g.equals(w)) {
      let at = 0;
      while (at < Math.min(g.length, w.length) && g[at] === w[at]) at++;
      throw new Error(`${what}: part ${i} differs (got ${g.length} bytes, want ${w.length}; first difference at byte ${at})`);
    }
  }
}
