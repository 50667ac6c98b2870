// A security mechanism is one pluggable handshake step between the greeting and traffic
// (libzmq mechanism_t). The engine feeds it the peer's commands and sends what it returns,
// so NULL, PLAIN and CURVE differ only here. After the handshake a mechanism may
// transform every frame both ways (CURVE's MESSAGE boxes); NULL and PLAIN do not, and
// their frames pass untouched at no cost. Never knows the transport or the framing.
// Pure: no sockets, no timers, no promises.
import type { Command } from "../commands.js";
import type { FrameEncoder, FrameSink } from "../framing.js";
import { getProperty } from "../commands.js";
import {
  CMD_ERROR, ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_UNSPECIFIED, PROP_IDENTITY, PROP_SOCKET_TYPE, ZmtpError,
  protocolError,
} from "../constants.js";
import { socketTypesCompatible } from "../../core/socket-type.js";
import type { EnginePeer } from "../engine.js";

export type { Command };

/** What the handshake learned about the peer (from its READY, or INITIATE for a server):
 * its type, its Identity and every property, names as received (see getProperty for a
 * case-insensitive lookup). A mechanism that authenticates adds `User-Id` (and the ZAP
 * handler's metadata) to the properties. */
export type MechanismPeer = EnginePeer;

/**
 * Every frame after the handshake, commands included, both ways (libzmq
 * mechanism_t::encode/decode). Shaped so that sealing writes into the encoder's
 * own memory and opening may work in place: no object per frame.
 */
export interface FrameTransform {
  /** The most bytes a sealed frame adds to the frame it carries: checks at the
   * header bound the box by the frame limits plus this. */
  readonly overhead: number;
  /** Seal one outgoing frame (flags: FLAG_MORE / FLAG_COMMAND) into `out`. */
  seal(flags: number, body: Buffer, out: FrameEncoder): void;
  /** Open one incoming wire frame and hand the frame it carries to `sink`
   * (its frameHeader, then frame); returns what frame() returned. Throws
   * ZmtpError on a bad box or nonce. */
  open(flags: number, body: Buffer, sink: FrameSink): boolean | void;
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
  /** Read once `done`: the transform of every later frame; absent = none. */
  readonly transform?: FrameTransform | undefined;
  /** Asynchronous steps (a ZAP request): the engine registers `wake`; the mechanism calls
   * it when it has more to say, and the engine then calls poll() for the commands to send
   * (and checks `done`, or catches what poll() throws). */
  setWake?(wake: () => void): void;
  poll?(): Command[];
  /** The connection is gone: let go of anything outside it (a ZAP request). */
  close?(): void;
  /** NULL with a ZAP domain: the connection goes through ZAP, so a peer older
   * than ZMTP 3.0 (which has no handshake to hold it) is refused. */
  readonly authenticates?: boolean;
}

/** Who we are in a handshake. */
export interface MechanismSelf {
  /** Our type in ZMTP spelling: "DEALER", "PUB"... */
  socketType: string;
  /** Whether our READY carries `Identity` (libzmq: REQ, DEALER and ROUTER; empty when
   * no routing id is set): a fact of the socket type. */
  sendsIdentity?: boolean;
  routingId?: Buffer;
  /** Extra READY properties (application `X-` names). */
  properties?: Record<string, Buffer | string>;
}

/** The metadata of our READY (or INITIATE): Socket-Type, Identity where libzmq sends it,
 * then any extra (application `X-` or other) properties. */
export function ownMetadata(self: MechanismSelf): Record<string, Buffer | string> {
  const { socketType, routingId, properties: extra } = self;
  const props: Record<string, Buffer | string> = { [PROP_SOCKET_TYPE]: socketType };
  if (self.sendsIdentity === true) props[PROP_IDENTITY] = routingId ?? Buffer.alloc(0);
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
  // User-Id is the mechanism's to say (ZAP's answer), never the peer's
  for (const k of [...properties.keys()]) if (k.toLowerCase() === "user-id") properties.delete(k);
  const peer: MechanismPeer = { socketType, properties };
  const id = getProperty(properties, PROP_IDENTITY);
  if (id !== undefined) {
    if (id.length > 255) throw protocolError(ERR_ZMTP_INVALID_METADATA, `peer Identity of ${id.length} bytes exceeds 255`);
    peer.routingId = id;
  }
  return peer;
}

/** The error to throw for a peer's ERROR command. A ZAP status reason ("300", "400" or
 * "500", the only ones libzmq's handle_error_reason reads as one) is also put in `status`,
 * so the engine reports handshake:error:auth with it. */
export function peerErrorToThrow(reason: string): ZmtpError {
  const err = new ZmtpError("EPROTO", ERR_ZMTP_UNSPECIFIED, `peer sent ERROR: ${reason}`);
  err.peerReason = reason;
  if (/^[345]00$/.test(reason)) err.status = Number(reason);
  return err;
}

/** handshake:error:auth for a refusal carrying a ZAP status (the peer's ERROR, or our
 * own ZAP handler's answer), handshake:error:protocol for a protocol error (a
 * ZmtpError), handshake:error:other for anything else (no ZAP handler: EFAULT). */
export function handshakeErrorKind(err: unknown): "auth" | "protocol" | "other" {
  const e = err as ZmtpError | undefined;
  if (e?.status !== undefined) return "auth";
  return e?.zmtpCode !== undefined || e?.code === "EPROTO" || e?.code === "EMSGSIZE" ? "protocol" : "other";
}

/**
 * Our ZAP handler refused the peer (RFC 27 status 300, 400 or 500): the
 * handshake fails with handshake:error:auth, after `farewell` (an ERROR
 * command whose reason is the status, for 400 and 500; none for 300, a
 * temporary failure, which closes silently as libzmq does) has been written.
 */
export class Refusal extends ZmtpError {
  /** The ERROR command frame's body (name length, name, reason). */
  farewell: Buffer | undefined;
  constructor(status: number, text: string) {
    super("EACCES", ERR_ZMTP_UNSPECIFIED, `the ZAP handler refused the peer: ${status}${text === "" ? "" : " " + text}`);
    this.status = status;
    this.farewell = status === 300 ? undefined : errorCommandBody(ERROR_NAME, String(status));
  }
}

const ERROR_NAME = Buffer.concat([Buffer.of(CMD_ERROR.length), Buffer.from(CMD_ERROR)]);

/** An ERROR command frame's body: `name` (length byte and name) and the reason. */
export function errorCommandBody(name: Buffer, reason: string): Buffer {
  const r = Buffer.from(reason, "latin1");
  return Buffer.concat([name, Buffer.of(r.length), r]);
}

/** The peer's properties with what the ZAP handler said of it: User-Id (when
 * not empty) and the reply's metadata, as libzmq's zmq_msg_gets reports them. */
export function withZapProperties(peer: MechanismPeer, userId: Buffer, metadata: Map<string, Buffer>): MechanismPeer {
  const props = new Map(peer.properties);
  for (const [k, v] of metadata) props.set(k, v);
  if (userId.length > 0) props.set("User-Id", userId);
  return { ...peer, properties: props };
}
