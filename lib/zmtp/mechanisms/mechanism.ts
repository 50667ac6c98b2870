// A security mechanism is one pluggable handshake step between the greeting and traffic
// (libzmq mechanism_t). The engine feeds it the peer's commands and sends what it returns,
// so NULL, PLAIN and CURVE differ only here. Pure: no sockets, no timers, no promises.
import type { Command } from "../commands.js";
import { getProperty } from "../commands.js";
import {
  ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_UNSPECIFIED, PROP_IDENTITY, PROP_SOCKET_TYPE, ZmtpError,
  protocolError,
} from "../constants.js";
import { socketTypesCompatible } from "../../core/socket-compat.js";

export type { Command };

/** What the handshake learned about the peer (from its READY, or INITIATE for a server). */
export interface MechanismPeer {
  socketType: string;
  /** The peer's `Identity` property, if it sent one (possibly empty: ROUTER then generates). */
  routingId?: Buffer;
  /** Every property, names as received (see getProperty for case-insensitive lookup). */
  properties: Map<string, Buffer>;
}

export interface Mechanism {
  /** The greeting's mechanism name: "NULL", "PLAIN", "CURVE". */
  readonly name: string;
  /** The greeting's as-server bit (always false for NULL). */
  readonly asServer: boolean;
  /** Commands to send right after the greeting (NULL: READY; a PLAIN client: HELLO). */
  start(): Command[];
  /** One handshake command from the peer; returns the commands to send in reply. Throws
   * ZmtpError (code EPROTO, `zmtpCode` ERR_ZMTP_*) on bad input; a peer's ERROR command
   * throws too, with `peerReason` set. */
  onCommand(name: string, data: Buffer): Command[];
  /** Handshake complete: traffic may flow. */
  readonly done: boolean;
  /** The peer's metadata, once its READY (or INITIATE) has been accepted. */
  readonly peer: MechanismPeer | undefined;

  // --- Optional hooks; NULL implements none of them.
  /** After the handshake, wrap one outgoing frame (flags: FLAG_MORE / FLAG_COMMAND) into
   * the command that carries it (CURVE MESSAGE). */
  encode?(flags: number, body: Buffer): Command;
  /** After the handshake, unwrap one incoming command (CURVE MESSAGE) into the frame it
   * carries. Throws ZmtpError on a bad box or nonce. */
  decode?(name: string, data: Buffer): { flags: number; body: Buffer };
  /** Asynchronous steps (a ZAP request): the engine registers `wake`; the mechanism calls
   * it when it has more to say, and the engine then calls poll() for the commands to send
   * (and checks `done`, or catches what poll() throws). */
  setWake?(wake: () => void): void;
  poll?(): Command[];
}

/** libzmq sends `Identity` only from these types (possibly empty). */
const SENDS_IDENTITY = new Set(["REQ", "DEALER", "ROUTER"]);

/** The metadata of our READY (or INITIATE): Socket-Type, Identity where libzmq sends it,
 * then any extra (application `X-` or other) properties. */
export function ownMetadata(
  socketType: string,
  routingId?: Buffer,
  extra?: Record<string, Buffer | string>,
): Record<string, Buffer | string> {
  const props: Record<string, Buffer | string> = { [PROP_SOCKET_TYPE]: socketType };
  if (SENDS_IDENTITY.has(socketType.toUpperCase())) props[PROP_IDENTITY] = routingId ?? Buffer.alloc(0);
  if (extra !== undefined) {
    for (const k of Object.keys(extra)) {
      const lower = k.toLowerCase();
      if (lower !== "socket-type" && lower !== "identity") props[k] = extra[k]!;
    }
  }
  return props;
}

/** Validate the peer's properties: Socket-Type present (RFC 37; libzmq 4.3.5 does not insist)
 * and compatible with ours, Identity at most 255 bytes. Throws EPROTO/ERR_ZMTP_INVALID_METADATA. */
export function peerFromMetadata(ownType: string, properties: Map<string, Buffer>): MechanismPeer {
  const st = getProperty(properties, PROP_SOCKET_TYPE);
  if (st === undefined) throw protocolError(ERR_ZMTP_INVALID_METADATA, "peer metadata has no Socket-Type");
  const socketType = st.toString("latin1");
  if (!socketTypesCompatible(ownType, socketType)) {
    throw protocolError(ERR_ZMTP_INVALID_METADATA, `socket type ${ownType} cannot talk to peer type ${socketType}`);
  }
  const peer: MechanismPeer = { socketType, properties };
  const id = getProperty(properties, PROP_IDENTITY);
  if (id !== undefined) {
    if (id.length > 255) throw protocolError(ERR_ZMTP_INVALID_METADATA, `peer Identity of ${id.length} bytes exceeds 255`);
    peer.routingId = id;
  }
  return peer;
}

/** The error to throw for a peer's ERROR command. A 3-digit 300-599 reason (ZAP status) is
 * also put in `status`, so the engine can report handshake:error:auth. */
export function peerErrorToThrow(reason: string): ZmtpError {
  const err = new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, `peer sent ERROR: ${reason}`);
  err.peerReason = reason;
  if (/^[345]\d\d$/.test(reason)) err.status = Number(reason);
  return err;
}
