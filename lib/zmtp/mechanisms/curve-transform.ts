// CURVE's MESSAGE boxes (RFC 25 "MESSAGE", libzmq curve_encoding_t): every
// frame after the handshake, commands included, travels as one data frame
// "\x07MESSAGE" + 8-byte short nonce + Box[flags + body](C'->S' or S'->C').
// The short nonce counts up from where the handshake left it and must strictly
// increase on receipt, so a replayed, reordered or repeated box is refused.
import {
  ERR_ZMTP_CRYPTOGRAPHIC, ERR_ZMTP_INVALID_SEQUENCE, ERR_ZMTP_MALFORMED_COMMAND_MESSAGE, ERR_ZMTP_UNEXPECTED_COMMAND,
  FLAG_COMMAND, FLAG_MORE, ZmtpError, protocolError,
} from "../constants.js";
import type { FrameEncoder, FrameSink } from "../framing.js";
import type { FrameTransform } from "./mechanism.js";
import { type FrameBoxes, MAC_BYTES, NONCE_BYTES } from "./sodium.js";

const MESSAGE = Buffer.from("\x07MESSAGE", "latin1");
/** "\x07MESSAGE" + short nonce. */
const HEADER_BYTES = 16;
/** Box flags (RFC 26): bit 0 MORE, bit 1 COMMAND. */
const BOX_MORE = 1;
const BOX_COMMAND = 2;
const TWO_32 = 4294967296;

/** An 8-byte big-endian counter, as two 32-bit halves (exact beyond 2^53). */
export interface ShortNonce {
  hi: number;
  lo: number;
}

export function readShortNonce(b: Buffer, at: number): ShortNonce {
  return { hi: b.readUInt32BE(at), lo: b.readUInt32BE(at + 4) };
}

export class CurveTransform implements FrameTransform {
  readonly overhead = HEADER_BYTES + MAC_BYTES + 1;
  /** Full nonces: 16-byte prefix, then the short nonce. */
  private readonly sendNonce = Buffer.alloc(NONCE_BYTES);
  private readonly recvNonce = Buffer.alloc(NONCE_BYTES);
  /** The next short nonce we send, as hi/lo. */
  private sendHi: number;
  private sendLo: number;
  /** The last short nonce accepted from the peer. */
  private lastHi: number;
  private lastLo: number;

  constructor(
    private readonly boxes: FrameBoxes,
    /** crypto_box_beforenm(peer short-term public, our short-term secret). */
    private readonly key: Uint8Array,
    sendPrefix: string,
    recvPrefix: string,
    /** The next short nonce to send (after those the handshake used). */
    nextSend: number,
    /** The peer's last short nonce (its READY or INITIATE). */
    peerLast: ShortNonce,
  ) {
    this.sendNonce.write(sendPrefix, 0, "latin1");
    this.recvNonce.write(recvPrefix, 0, "latin1");
    this.sendHi = Math.floor(nextSend / TWO_32);
    this.sendLo = nextSend >>> 0;
    this.lastHi = peerLast.hi;
    this.lastLo = peerLast.lo;
  }

  seal(flags: number, body: Buffer, out: FrameEncoder): void {
    const n = this.sendNonce;
    const hi = this.sendHi;
    const lo = this.sendLo;
    n.writeUInt32BE(hi, 16);
    n.writeUInt32BE(lo, 20);
    // never repeats: 2^64 frames would take longer than anyone waits
    if (lo === 0xffffffff) {
      this.sendLo = 0;
      this.sendHi = hi + 1;
    } else this.sendLo = lo + 1;
    const space = out.frameSpace(0, HEADER_BYTES + MAC_BYTES + 1 + body.length);
    for (let i = 0; i < 8; i++) {
      space[i] = MESSAGE[i]!;
      space[8 + i] = n[16 + i]!;
    }
    const boxFlags = ((flags & FLAG_MORE) !== 0 ? BOX_MORE : 0) | ((flags & FLAG_COMMAND) !== 0 ? BOX_COMMAND : 0);
    this.boxes.seal(this.key, n, boxFlags, body, space, HEADER_BYTES);
  }

  open(_flags: number, body: Buffer, sink: FrameSink): boolean | void {
    if (!isMessage(body)) throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, "a frame after the CURVE handshake that is not a MESSAGE");
    if (body.length < HEADER_BYTES + MAC_BYTES + 1) {
      throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_MESSAGE, `CURVE MESSAGE of ${body.length} bytes is too short`);
    }
    const hi = body.readUInt32BE(8);
    const lo = body.readUInt32BE(12);
    if (hi < this.lastHi || (hi === this.lastHi && lo <= this.lastLo)) {
      throw protocolError(ERR_ZMTP_INVALID_SEQUENCE, "CURVE MESSAGE nonce does not increase (replayed or reordered)");
    }
    const n = this.recvNonce;
    for (let i = 0; i < 8; i++) n[16 + i] = body[8 + i]!;
    const boxes = this.boxes;
    const frame = boxes.open(this.key, n, body, HEADER_BYTES, body.length);
    if (frame === undefined) throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "CURVE MESSAGE box does not open (tampered or wrong key)");
    this.lastHi = hi;
    this.lastLo = lo;
    const bf = boxes.openedFlags;
    const flags = ((bf & BOX_MORE) !== 0 ? FLAG_MORE : 0) | ((bf & BOX_COMMAND) !== 0 ? FLAG_COMMAND : 0);
    sink.frameHeader(flags, frame.length);
    return sink.frame(flags, frame);
  }
}

function isMessage(body: Buffer): boolean {
  if (body.length < MESSAGE.length) return false;
  for (let i = 0; i < MESSAGE.length; i++) if (body[i] !== MESSAGE[i]) return false;
  return true;
}
