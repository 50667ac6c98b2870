// Wire constants of ZMTP 3.0/3.1 (RFC 23, RFC 37), named as the RFCs name them,
// and the one error type every ZMTP module throws.
import { ZmqError } from "../core/errors.js";
import { MAX_TOPIC_BYTES } from "../core/limits.js";

// --- Frame flags (RFC 23 "flags"): bits 3-7 are reserved; libzmq ignores them, so do we.
export const FLAG_MORE = 0x01;
export const FLAG_LONG = 0x02;
export const FLAG_COMMAND = 0x04;

/** A short frame's 1-byte size covers 0..255; anything larger takes the 8-byte form. */
export const MAX_SHORT_SIZE = 255;
/** Header bytes: flags + 1-byte size, or flags + 8-byte size. */
export const SHORT_HEADER_SIZE = 2;
export const LONG_HEADER_SIZE = 9;

// --- Greeting (64 bytes): signature(10) version(2) mechanism(20) as-server(1) filler(31).
export const GREETING_SIZE = 64;
export const SIGNATURE_SIZE = 10;
export const SIGNATURE_FIRST = 0xff;
export const SIGNATURE_LAST = 0x7f;
/** libzmq's exact signature: padding is (routing-id length + 1) as a 64-bit BE number, a
 * ZMTP 1.0 trick; with no id that is 1. Padding is never validated on receipt. */
export const SIGNATURE = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7f]);
export const MAJOR_OFFSET = 10;
export const MINOR_OFFSET = 11;
export const MECHANISM_OFFSET = 12;
export const MECHANISM_SIZE = 20;
export const AS_SERVER_OFFSET = 32;
export const VERSION_MAJOR = 3;
/** We speak 3.1; a 3.0 peer gets subscriptions as messages, not commands. */
export const VERSION_MINOR = 1;

// --- Command names (RFC 23, 37).
export const CMD_READY = "READY";
export const CMD_ERROR = "ERROR";
export const CMD_PING = "PING";
export const CMD_PONG = "PONG";
export const CMD_SUBSCRIBE = "SUBSCRIBE";
export const CMD_CANCEL = "CANCEL";

// --- Metadata property names: libzmq compares these two exactly, so send them so spelled.
export const PROP_SOCKET_TYPE = "Socket-Type";
export const PROP_IDENTITY = "Identity";

/** PING context is at most 16 bytes; a PONG echoes at most that much (RFC 37). */
export const PING_MAX_CONTEXT = 16;
/** PING data = 2-byte TTL + context, so the data is at least 2 bytes (frame body >= 7). */
export const PING_MIN_DATA = 2;

// --- Command limits, checked at each command frame's header (README "Limits").
/** Largest command accepted during the handshake (READY metadata...). */
export const HANDSHAKE_COMMAND_MAX = 64 * 1024;
/** Longest topic a SUBSCRIBE/CANCEL may carry (the XPUB topic cap). */
export { MAX_TOPIC_BYTES };
/** Largest command frame accepted after the handshake, checked at its header:
 * a SUBSCRIBE of the longest topic (name byte, name, topic); PING, PONG and
 * ERROR are then held to their own sizes, unknown commands to this. */
export const ACTIVE_COMMAND_MAX = 1 + 255 + MAX_TOPIC_BYTES;

// --- Subscription messages of ZMTP 3.0 (and how subscriptions travel through pipes).
export const SUBSCRIBE_BYTE = 0x01;
export const CANCEL_BYTE = 0x00;

// --- Protocol error codes, as libzmq/zeromq.js report them in handshake:error:protocol.
export const ERR_ZMTP_UNSPECIFIED = "ERR_ZMTP_UNSPECIFIED";
export const ERR_ZMTP_UNEXPECTED_COMMAND = "ERR_ZMTP_UNEXPECTED_COMMAND";
export const ERR_ZMTP_INVALID_SEQUENCE = "ERR_ZMTP_INVALID_SEQUENCE";
export const ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = "ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED";
export const ERR_ZMTP_MALFORMED_COMMAND_ERROR = "ERR_ZMTP_MALFORMED_COMMAND_ERROR";
export const ERR_ZMTP_MALFORMED_COMMAND_READY = "ERR_ZMTP_MALFORMED_COMMAND_READY";
export const ERR_ZMTP_INVALID_METADATA = "ERR_ZMTP_INVALID_METADATA";
export const ERR_ZMTP_MECHANISM_MISMATCH = "ERR_ZMTP_MECHANISM_MISMATCH";
export const ERR_ZMTP_MALFORMED_COMMAND_HELLO = "ERR_ZMTP_MALFORMED_COMMAND_HELLO";
export const ERR_ZMTP_MALFORMED_COMMAND_INITIATE = "ERR_ZMTP_MALFORMED_COMMAND_INITIATE";
export const ERR_ZMTP_MALFORMED_COMMAND_MESSAGE = "ERR_ZMTP_MALFORMED_COMMAND_MESSAGE";
export const ERR_ZMTP_MALFORMED_COMMAND_WELCOME = "ERR_ZMTP_MALFORMED_COMMAND_WELCOME";
export const ERR_ZMTP_CRYPTOGRAPHIC = "ERR_ZMTP_CRYPTOGRAPHIC";
export const ERR_ZMTP_KEY_EXCHANGE = "ERR_ZMTP_KEY_EXCHANGE";
// ZAP replies a security server could not use (libzmq ZMQ_PROTOCOL_ERROR_ZAP_*)
export const ERR_ZAP_UNSPECIFIED = "ERR_ZAP_UNSPECIFIED";
export const ERR_ZAP_MALFORMED_REPLY = "ERR_ZAP_MALFORMED_REPLY";
export const ERR_ZAP_BAD_REQUEST_ID = "ERR_ZAP_BAD_REQUEST_ID";
export const ERR_ZAP_BAD_VERSION = "ERR_ZAP_BAD_VERSION";
export const ERR_ZAP_INVALID_STATUS_CODE = "ERR_ZAP_INVALID_STATUS_CODE";
export const ERR_ZAP_INVALID_METADATA = "ERR_ZAP_INVALID_METADATA";

/**
 * A ZMTP protocol failure on one connection. `code` is the errno-style code (EPROTO, or
 * EMSGSIZE for limits); `zmtpCode` is the ERR_ZMTP_* label for handshake:error:protocol.
 * `peerReason` is set when the peer itself sent an ERROR command (with `status` when that
 * reason is a ZAP-style 3-digit 300-599 code, for handshake:error:auth).
 */
export class ZmtpError extends ZmqError {
  readonly zmtpCode: string;
  peerReason?: string;
  status?: number;
  constructor(code: string, zmtpCode: string, message: string) {
    super(code, message);
    this.name = "ZmtpError";
    this.zmtpCode = zmtpCode;
  }
}

/** EPROTO with a ZMTP label: the usual way to reject peer input. */
export function protocolError(zmtpCode: string, message: string): ZmtpError {
  return new ZmtpError("EPROTO", zmtpCode, message);
}
