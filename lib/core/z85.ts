// Z85 (ZeroMQ RFC 32): 4 bytes <-> 5 printable characters. CURVE keys travel
// as 40-character Z85 strings.
import { zmqError } from "./errors.js";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Encode bytes whose length is a multiple of 4. */
export function z85Encode(data: Uint8Array): string {
  if (data.length % 4 !== 0) throw zmqError("EINVAL", "Z85 needs a multiple of 4 bytes");
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    let v = ((data[i]! << 24) >>> 0) + (data[i + 1]! << 16) + (data[i + 2]! << 8) + data[i + 3]!;
    const chunk = new Array<string>(5);
    for (let k = 4; k >= 0; k--) {
      chunk[k] = ALPHABET[v % 85]!;
      v = Math.floor(v / 85);
    }
    out += chunk.join("");
  }
  return out;
}

/** Decode a string whose length is a multiple of 5. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw zmqError("EINVAL", "Z85 text length must be a multiple of 5");
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let k = 0; k < 5; k++) {
      const c = text.charCodeAt(i + k);
      const d = c < 128 ? DECODE[c]! : -1;
      if (d < 0) throw zmqError("EINVAL", `invalid Z85 character ${JSON.stringify(text[i + k])}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw zmqError("EINVAL", "Z85 group out of range");
    out.writeUInt32BE(v, o);
  }
  return out;
}
