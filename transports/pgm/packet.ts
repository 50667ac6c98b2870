// The stand-in's datagram format (omq only; it does not interoperate with
// OpenPGM). Every datagram starts with a 20-byte header:
//
//   0  2  magic "oq" (0x6f 0x71)
//   2  1  version (1)
//   3  1  type: ODATA 1, RDATA 2, SPM 3, NAK 4
//   4  8  session id: random per sender endpoint (PGM's TSI)
//  12  4  ODATA/RDATA: this packet's sequence; SPM: the lead (last sequence
//         sent; trail - 1 while nothing has been sent); NAK: 0
//  16  4  ODATA/RDATA/SPM: the transmit window's trail (oldest sequence the
//         sender can still repair); NAK: 0
//
// ODATA/RDATA then carry (the libzmq pgm payload idea plus a message number):
//  20  4  msgSeq: number of the first message that starts in this packet (or,
//         when none starts here, of the message this packet continues)
//  24  2  firstOffset: offset in the payload where message msgSeq starts,
//         0xFFFF when no message starts in this packet
//  26  .. payload: a slice of one continuous stream of ZMTP frames (flags,
//         size, body), cut at the transport data unit
//
// NAK (unicast to the sender's source address):
//  20  2  n, 1..MAX_NAK_SEQS
//  22  4n the missing sequences
//
// Sequences and message numbers are 32-bit and wrap; compare them only with
// the serial-number helpers below (RFC 1982, as RFC 3208 does).

export const MAGIC0 = 0x6f;
export const MAGIC1 = 0x71;
export const VERSION = 1;

export const ODATA = 1;
export const RDATA = 2;
export const SPM = 3;
export const NAK = 4;

export const HEADER_SIZE = 20;
export const DATA_HEADER_SIZE = 26;
export const NO_OFFSET = 0xffff;
/** Sequences one NAK may list. */
export const MAX_NAK_SEQS = 256;
/** IPv4 (20) + UDP (8) header bytes counted against the transport data unit. */
export const IP_UDP_OVERHEAD = 28;

export type PacketType = "odata" | "rdata" | "spm" | "nak";
const TYPE_NAMES: Record<number, PacketType> = { [ODATA]: "odata", [RDATA]: "rdata", [SPM]: "spm", [NAK]: "nak" };

export interface DataPacket {
  type: "odata" | "rdata";
  session: string;
  seq: number;
  trail: number;
  msgSeq: number;
  firstOffset: number;
  payload: Buffer;
}

export interface SpmPacket {
  type: "spm";
  session: string;
  lead: number;
  trail: number;
}

export interface NakPacket {
  type: "nak";
  session: string;
  seqs: number[];
}

export type Packet = DataPacket | SpmPacket | NakPacket;

/** a - b as a signed 32-bit serial distance. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
/** a < b in serial-number arithmetic. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** a + n, wrapped to 32 bits. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function sessionKey(id: Buffer): string {
  return id.toString("hex");
}

function header(type: number, session: Buffer, seq: number, trail: number, extra: number): Buffer {
  const b = Buffer.allocUnsafe(HEADER_SIZE + extra);
  b[0] = MAGIC0;
  b[1] = MAGIC1;
  b[2] = VERSION;
  b[3] = type;
  session.copy(b, 4, 0, 8);
  b.writeUInt32BE(seq >>> 0, 12);
  b.writeUInt32BE(trail >>> 0, 16);
  return b;
}

/** The 20-byte header of an ODATA/RDATA datagram; the body (from dataBody) follows it. */
export function dataHeader(repair: boolean, session: Buffer, seq: number, trail: number): Buffer {
  return header(repair ? RDATA : ODATA, session, seq, trail, 0);
}

/** Writes the data sub-header into the first 6 bytes of `body` (26 - 20). */
export function writeDataSubHeader(body: Buffer, msgSeq: number, firstOffset: number): void {
  body.writeUInt32BE(msgSeq >>> 0, 0);
  body.writeUInt16BE(firstOffset, 4);
}

export function encodeSpm(session: Buffer, lead: number, trail: number): Buffer {
  return header(SPM, session, lead, trail, 0);
}

export function encodeNak(session: Buffer, seqs: readonly number[]): Buffer {
  const n = seqs.length;
  if (n < 1 || n > MAX_NAK_SEQS) throw new RangeError(`a NAK lists 1..${MAX_NAK_SEQS} sequences`);
  const b = header(NAK, session, 0, 0, 2 + 4 * n);
  b.writeUInt16BE(n, HEADER_SIZE);
  for (let i = 0; i < n; i++) b.writeUInt32BE(seqs[i]! >>> 0, HEADER_SIZE + 2 + 4 * i);
  return b;
}

/** Parse one datagram; undefined for anything malformed (wrong magic or
 * version, unknown type, truncated, inconsistent lengths). Never throws. */
export function decodePacket(b: Buffer): Packet | undefined {
  if (b.length < HEADER_SIZE || b[0] !== MAGIC0 || b[1] !== MAGIC1 || b[2] !== VERSION) return undefined;
  const type = TYPE_NAMES[b[3]!];
  if (type === undefined) return undefined;
  const session = b.toString("hex", 4, 12);
  const seq = b.readUInt32BE(12);
  const trail = b.readUInt32BE(16);
  switch (type) {
    case "odata":
    case "rdata": {
      if (b.length < DATA_HEADER_SIZE) return undefined;
      const payload = b.subarray(DATA_HEADER_SIZE);
      const firstOffset = b.readUInt16BE(24);
      // an offset must point inside the payload
      if (firstOffset !== NO_OFFSET && firstOffset >= payload.length) return undefined;
      if (payload.length === 0) return undefined;
      return { type, session, seq, trail, msgSeq: b.readUInt32BE(20), firstOffset, payload };
    }
    case "spm":
      if (b.length !== HEADER_SIZE) return undefined;
      return { type, session, lead: seq, trail };
    case "nak": {
      if (b.length < HEADER_SIZE + 2) return undefined;
      const n = b.readUInt16BE(HEADER_SIZE);
      if (n < 1 || n > MAX_NAK_SEQS || b.length !== HEADER_SIZE + 2 + 4 * n) return undefined;
      const seqs = new Array<number>(n);
      for (let i = 0; i < n; i++) seqs[i] = b.readUInt32BE(HEADER_SIZE + 2 + 4 * i);
      return { type, session, seqs };
    }
  }
}
