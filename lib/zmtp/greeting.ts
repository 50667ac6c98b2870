// The 64-byte ZMTP 3.x greeting (RFC 23 §"Greeting"): build ours, and parse the peer's
// from chunks of any size, failing at the first byte that decides a failure so garbage
// and ZMTP 1.0/2.0 peers are dropped at once (no fallback to those revisions yet).
import { ZmqError } from "../core/errors.js";
import {
  AS_SERVER_OFFSET, ERR_ZMTP_UNSPECIFIED, GREETING_SIZE, MAJOR_OFFSET, MECHANISM_OFFSET,
  MECHANISM_SIZE, MINOR_OFFSET, SIGNATURE, SIGNATURE_FIRST, SIGNATURE_SIZE, VERSION_MAJOR,
  VERSION_MINOR,
} from "./constants.js";

export interface Greeting {
  major: number;
  /** The minor version to talk to this peer: 0 or 1 (3.2+ and any major above 3 count as 3.1,
   * RFC 23: "talk the lower version"). */
  minor: number;
  /** Bytes 12-31 up to the first NUL (ASCII). */
  mechanism: string;
  asServer: boolean;
}

export type GreetingResult =
  | { state: "need-more" }
  /** `code` is the errno-style code (EPROTO); `zmtpCode` the handshake-event label. */
  | { state: "error"; code: string; zmtpCode: string; reason: string }
  /** `rest`: bytes after the 64 that already belong to frames (a zero-copy subarray). */
  | { state: "done"; greeting: Greeting; rest: Buffer };

const NEED_MORE: GreetingResult = Object.freeze({ state: "need-more" }) as GreetingResult;
const EMPTY = Buffer.alloc(0);

/** Our greeting: libzmq's signature bytes, version 3.minor, mechanism, as-server, zeros. */
export function encodeGreeting(mechanism: string, asServer: boolean, minor = VERSION_MINOR): Buffer {
  if (mechanism.length < 1 || mechanism.length > MECHANISM_SIZE || !/^[\x21-\x7e]+$/.test(mechanism)) {
    throw new ZmqError("EINVAL", `Invalid ZMTP mechanism name: ${JSON.stringify(mechanism)}`);
  }
  if (!Number.isInteger(minor) || minor < 0 || minor > 255) throw new ZmqError("EINVAL", `Invalid ZMTP minor version: ${minor}`);
  const g = Buffer.alloc(GREETING_SIZE); // zero filler, zero mechanism padding
  SIGNATURE.copy(g, 0);
  g[MAJOR_OFFSET] = VERSION_MAJOR;
  g[MINOR_OFFSET] = minor;
  g.write(mechanism, MECHANISM_OFFSET, "latin1");
  g[AS_SERVER_OFFSET] = asServer ? 1 : 0;
  return g;
}

/**
 * Accumulates the peer's greeting. Checks run as each deciding byte arrives: byte 0 must be
 * 0xFF, bit 0 of byte 9 must be set (else libzmq's "pre-versioned" peer), byte 10 (major)
 * must be >= 3. Padding (bytes 1-8) and filler are never validated.
 *
 * After "error" every feed() returns the same error. After "done", feed() returns "done"
 * again with the whole new chunk as `rest` (it all belongs to frames).
 */
export class GreetingParser {
  private readonly buf = Buffer.alloc(GREETING_SIZE);
  private have = 0;
  private result: GreetingResult | null = null;

  /** Bytes of the greeting received so far (0..64). */
  get received(): number {
    return this.have;
  }

  /** The peer's major version once byte 10 has arrived, else undefined (lets an engine
   * send its own greeting in libzmq's staged way if it wants to). */
  get peerMajor(): number | undefined {
    return this.have > MAJOR_OFFSET ? this.buf[MAJOR_OFFSET] : undefined;
  }

  feed(chunk: Buffer): GreetingResult {
    const r = this.result;
    if (r !== null) return r.state === "done" ? { state: "done", greeting: r.greeting, rest: chunk } : r;
    const start = this.have;
    const take = Math.min(GREETING_SIZE - start, chunk.length);
    chunk.copy(this.buf, start, 0, take);
    this.have = start + take;
    const end = this.have;
    // Decide at the first deciding byte that arrived in this chunk.
    if (start <= 0 && end > 0 && this.buf[0] !== SIGNATURE_FIRST) {
      return this.fail("not a ZMTP 3.x peer: first greeting byte is not 0xFF");
    }
    if (start <= SIGNATURE_SIZE - 1 && end > SIGNATURE_SIZE - 1 && (this.buf[SIGNATURE_SIZE - 1]! & 1) === 0) {
      return this.fail("not a ZMTP 3.x peer: bit 0 of greeting byte 9 is clear (ZMTP 1.0)");
    }
    if (start <= MAJOR_OFFSET && end > MAJOR_OFFSET && this.buf[MAJOR_OFFSET]! < VERSION_MAJOR) {
      return this.fail(`unsupported ZMTP version ${this.buf[MAJOR_OFFSET]}.x (need 3.0 or later)`);
    }
    if (end < GREETING_SIZE) return NEED_MORE;

    const major = this.buf[MAJOR_OFFSET]!;
    const nul = this.buf.indexOf(0, MECHANISM_OFFSET);
    const mechEnd = nul === -1 || nul > MECHANISM_OFFSET + MECHANISM_SIZE ? MECHANISM_OFFSET + MECHANISM_SIZE : nul;
    const greeting: Greeting = {
      major,
      minor: major > VERSION_MAJOR ? VERSION_MINOR : Math.min(this.buf[MINOR_OFFSET]!, VERSION_MINOR),
      mechanism: this.buf.toString("latin1", MECHANISM_OFFSET, mechEnd),
      asServer: this.buf[AS_SERVER_OFFSET] !== 0,
    };
    const rest = take < chunk.length ? chunk.subarray(take) : EMPTY;
    this.result = { state: "done", greeting, rest: EMPTY };
    return { state: "done", greeting, rest };
  }

  private fail(reason: string): GreetingResult {
    this.result = { state: "error", code: "EPROTO", zmtpCode: ERR_ZMTP_UNSPECIFIED, reason };
    return this.result;
  }
}
