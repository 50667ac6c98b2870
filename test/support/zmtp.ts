// ZMTP pieces only tests need, moved out of lib/: omq builds commands into its
// encoder and reads them in the engine, so these whole-buffer forms are for
// writing test input and checking it.
import { ZmqError } from "../../lib/core/errors.js";
import type { Msg } from "../../lib/core/message.js";
import { findSocketType } from "../../lib/core/socket-type.js";
import type { Command } from "../../lib/zmtp/commands.js";
import {
  CANCEL_BYTE, CMD_CANCEL, CMD_ERROR, CMD_SUBSCRIBE, ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, SUBSCRIBE_BYTE,
  protocolError,
} from "../../lib/zmtp/constants.js";
import { ZmtpEncoder } from "../../lib/zmtp/encoder.js";

/** One message as a single exact-size wire Buffer, through omq's encoder
 * (raw-peer.ts's frame() writes bytes by hand instead). */
export function encodeMessage(msg: Msg): Buffer {
  const e = new ZmtpEncoder();
  e.writeMessage(msg);
  return Buffer.concat(e.take());
}

/** One command frame as a single exact-size wire Buffer, through omq's
 * encoder (raw-peer.ts's command() writes any name, checked or not). */
export function encodeCommand(name: string, data: Buffer): Buffer {
  const e = new ZmtpEncoder();
  e.writeCommand(name, data);
  return Buffer.concat(e.take());
}

/** Split a command frame body: 1-byte name length, name, data. `data` is zero-copy. */
export function decodeCommand(body: Buffer): Command {
  if (body.length < 1) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "empty command frame");
  const n = body[0]!;
  if (n === 0) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "command name is empty");
  if (1 + n > body.length) {
    throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, `command name length ${n} runs past the ${body.length}-byte frame`);
  }
  return { name: body.toString("latin1", 1, 1 + n), data: body.subarray(1 + n) };
}

/** A command frame body (without the frame header): name length, name, data.
 * Throws EINVAL unless `name` is 1-255 printable ASCII characters. */
export function encodeCommandBody(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  if (name.length < 1 || name.length > 255 || !/^[\x21-\x7e]+$/.test(name)) {
    throw new ZmqError("EINVAL", `Invalid ZMTP command name: ${JSON.stringify(name)}`);
  }
  const out = Buffer.allocUnsafe(1 + name.length + data.length);
  out[0] = name.length;
  out.write(name, 1, "latin1");
  data.copy(out, 1 + name.length);
  return out;
}

/** ERROR: 1-byte reason length + reason. Reasons over 255 bytes are truncated.
 * (omq never sends one; tests play the peer that does.) */
export function errorCommand(reason: string): Command {
  let r = Buffer.from(reason, "utf8");
  if (r.length > 255) r = r.subarray(0, 255);
  const data = Buffer.allocUnsafe(1 + r.length);
  data[0] = r.length;
  r.copy(data, 1);
  return { name: CMD_ERROR, data };
}

export function subscribeCommand(topic: Buffer): Command {
  return { name: CMD_SUBSCRIBE, data: topic };
}

export function cancelCommand(topic: Buffer): Command {
  return { name: CMD_CANCEL, data: topic };
}

/** A one-frame message starting with 0x01/0x00, read as a subscription (topic zero-copy);
 * undefined for anything else. */
export function parseSubscriptionMessage(msg: Msg): { subscribe: boolean; topic: Buffer } | undefined {
  if (msg.length !== 1) return undefined;
  const f = msg[0]!;
  if (f.length < 1 || (f[0] !== SUBSCRIBE_BYTE && f[0] !== CANCEL_BYTE)) return undefined;
  return { subscribe: f[0] === SUBSCRIBE_BYTE, topic: f.subarray(1) };
}

/** True if `name` (ZMTP spelling, any case) is a registered socket type. Each
 * type's ZMTP spelling is its name upper-cased, so the by-name lookup does. */
export function isSocketType(name: string): boolean {
  return findSocketType(name)?.zmtp === name.toUpperCase();
}
