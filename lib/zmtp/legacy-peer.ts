// What a peer older than ZMTP 3.0 tells about itself: only the socket-type
// byte of its greeting (ZMTP 2.0) and its identity frame. There is no
// security mechanism at those revisions, so only a NULL socket talks to one
// (libzmq 4.3 refuses them when ZAP is on: PLAIN, CURVE, or NULL with a ZAP domain).
import { findSocketTypeByNumber, socketTypesCompatible } from "../core/socket-type.js";
import { ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_MECHANISM_MISMATCH, protocolError } from "./constants.js";
import type { EnginePeer } from "./engine.js";
import type { LegacyPeer } from "./framing.js";

/** The peer as the session sees it; throws a handshake error if it may not
 * talk to us. `ours` is our ZMTP type name, `mechanism` our mechanism's. */
export function legacyEnginePeer(ours: string, mechanism: { name: string; authenticates?: boolean }, legacy: LegacyPeer): EnginePeer {
  const what = legacy.revision === "zws" ? "a ZWS2.0 peer without a mechanism" : `a ZMTP ${legacy.revision} peer`;
  if (mechanism.name !== "NULL") {
    throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, `${what} has no security mechanism; this socket needs ${mechanism.name}`);
  }
  // NULL with a ZAP domain: such a peer would skip the ZAP check (libzmq
  // refuses it whenever zap_enabled())
  if (mechanism.authenticates === true) {
    throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, `${what} cannot be authenticated (zapDomain is set)`);
  }
  const peer: EnginePeer = { socketType: "", properties: new Map() };
  if (legacy.socketType !== undefined) {
    // RFC 15 "Socket Compatibility" (libzmq reads the byte and never checks it;
    // omq refuses an incompatible peer, as at 3.x)
    const type = findSocketTypeByNumber(legacy.socketType)?.zmtp;
    if (type === undefined || !socketTypesCompatible(ours, type)) {
      throw protocolError(ERR_ZMTP_INVALID_METADATA, `socket type ${ours} cannot talk to a ZMTP 2.0 peer of type ${type ?? legacy.socketType}`);
    }
    peer.socketType = type;
  }
  if (legacy.identity.length > 0) peer.routingId = legacy.identity;
  return peer;
}
