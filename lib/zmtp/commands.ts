// Build and parse ZMTP command bodies (RFC 23, RFC 37): READY metadata, a peer's ERROR,
// PING/PONG, and subscriptions in their message form. Every length the peer gives is checked
// against what is really there; malformed input throws ZmtpError (code EPROTO) so the engine
// closes the connection.
import { ZmqError } from "../core/errors.js";
import type { Msg } from "../core/message.js";
import {
  CANCEL_BYTE, CMD_PING, CMD_PONG, CMD_READY, ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_MALFORMED_COMMAND_ERROR,
  ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, PING_MAX_CONTEXT, PING_MIN_DATA, PROP_IDENTITY, PROP_SOCKET_TYPE,
  SUBSCRIBE_BYTE, protocolError,
} from "./constants.js";

/** One command: name (1-255 ASCII bytes) and the data after the name. */
export interface Command {
  name: string;
  data: Buffer;
}

const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------------------- metadata

/** Exact spellings libzmq compares byte for byte; other names are sent as given. */
function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === "socket-type") return PROP_SOCKET_TYPE;
  if (lower === "identity") return PROP_IDENTITY;
  return name;
}

/** Metadata: per property, name length (1 byte, 1-255), name, value length (4-byte BE), value.
 * String values are UTF-8. `socket-type`/`identity` in any case are sent as `Socket-Type`/`Identity`. */
export function encodeMetadata(props: Record<string, Buffer | string>): Buffer {
  const names: string[] = [];
  const values: Buffer[] = [];
  let size = 0;
  for (const key of Object.keys(props)) {
    const name = canonicalName(key);
    if (name.length < 1 || name.length > 255 || !/^[\x21-\x7e]+$/.test(name)) {
      throw new ZmqError("EINVAL", `Invalid ZMTP metadata name: ${JSON.stringify(key)}`);
    }
    const v = props[key]!;
    const value = typeof v === "string" ? Buffer.from(v, "utf8") : v;
    if (value.length > 0xffffffff) throw new ZmqError("EINVAL", `Metadata value for ${name} is too long`);
    names.push(name);
    values.push(value);
    size += 1 + name.length + 4 + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const value = values[i]!;
    out[o++] = name.length;
    o += out.write(name, o, "latin1");
    out.writeUInt32BE(value.length, o);
    o += 4;
    o += value.copy(out, o);
  }
  return out;
}

/** Parse metadata; names are kept as received (use getProperty for case-insensitive lookup).
 * Values are copied, so they do not pin the socket's receive chunk. A repeated name keeps the
 * last value. Throws EPROTO/ERR_ZMTP_INVALID_METADATA on any length past the end. */
export function parseMetadata(buf: Buffer): Map<string, Buffer> {
  const props = new Map<string, Buffer>();
  let o = 0;
  const end = buf.length;
  while (o < end) {
    const nameLen = buf[o++]!;
    if (nameLen === 0) throw protocolError(ERR_ZMTP_INVALID_METADATA, "metadata property name is empty");
    if (o + nameLen + 4 > end) throw protocolError(ERR_ZMTP_INVALID_METADATA, "metadata property runs past the end of the command");
    const name = buf.toString("latin1", o, o + nameLen);
    o += nameLen;
    const valueLen = buf.readUInt32BE(o);
    o += 4;
    if (valueLen > end - o) {
      throw protocolError(ERR_ZMTP_INVALID_METADATA, `metadata value length ${valueLen} of ${name} runs past the end of the command`);
    }
    props.set(name, Buffer.from(buf.subarray(o, o + valueLen)));
    o += valueLen;
  }
  return props;
}

/** Case-insensitive lookup (RFC 23: names are case-insensitive); an exact match wins. */
export function getProperty(props: Map<string, Buffer>, name: string): Buffer | undefined {
  const exact = props.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [k, v] of props) if (k.toLowerCase() === lower) return v;
  return undefined;
}

// ---------------------------------------------------------------------------- commands

export function readyCommand(props: Record<string, Buffer | string>): Command {
  return { name: CMD_READY, data: encodeMetadata(props) };
}

/** The reason of a peer's ERROR command. Trailing bytes after the reason are ignored. */
export function parseErrorReason(data: Buffer): string {
  if (data.length < 1) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_ERROR, "ERROR command without a reason length");
  const n = data[0]!;
  if (1 + n > data.length) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_ERROR, `ERROR reason length ${n} runs past the command`);
  return data.toString("utf8", 1, 1 + n);
}

/** PING: TTL in deciseconds (2-byte BE, clamped to 0..65535) + context (truncated to 16 bytes). */
export function pingCommand(ttlDeciseconds: number, context: Buffer = EMPTY): Command {
  const ttl = Math.max(0, Math.min(0xffff, Math.floor(ttlDeciseconds) || 0));
  const ctx = context.length > PING_MAX_CONTEXT ? context.subarray(0, PING_MAX_CONTEXT) : context;
  const data = Buffer.allocUnsafe(2 + ctx.length);
  data.writeUInt16BE(ttl, 0);
  ctx.copy(data, 2);
  return { name: CMD_PING, data };
}

/** Parse PING data. Data shorter than the 2-byte TTL (a frame body under 7 bytes) is rejected:
 * libzmq 4.3.5 answers such a PING with 16 bytes read out of bounds. A context longer than
 * 16 bytes is accepted and truncated to 16, as libzmq echoes. */
export function parsePing(data: Buffer): { ttl: number; context: Buffer } {
  if (data.length < PING_MIN_DATA) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "PING command shorter than its 2-byte TTL");
  const end = Math.min(data.length, PING_MIN_DATA + PING_MAX_CONTEXT);
  return { ttl: data.readUInt16BE(0), context: data.subarray(PING_MIN_DATA, end) };
}

/** PONG echoing a PING's context (truncated to 16 bytes; copied, so it does not pin a chunk). */
export function pongCommand(context: Buffer = EMPTY): Command {
  const n = Math.min(context.length, PING_MAX_CONTEXT);
  return { name: CMD_PONG, data: Buffer.from(context.subarray(0, n)) };
}

// ------------------------------------------------------------ subscriptions as messages

/** The pipe-internal (and ZMTP 3.0 wire) form: one frame, 0x01/0x00 + topic. */
export function subscriptionMessage(subscribe: boolean, topic: Buffer): Msg {
  const f = Buffer.allocUnsafe(1 + topic.length);
  f[0] = subscribe ? SUBSCRIBE_BYTE : CANCEL_BYTE;
  topic.copy(f, 1);
  return [f];
}
