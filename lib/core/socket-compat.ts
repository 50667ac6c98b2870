// Which socket types may talk to each other (RFC 37 "Socket type compatibility" plus the
// draft types' RFCs). Not transport-specific: the ZMTP handshake checks the peer's
// Socket-Type with it, and inproc/patterns can check the same way.

/** Each type and the peer types it accepts. Names are ZMTP spelling (upper case). */
export const SOCKET_TYPE_PEERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"],
  PUB: ["SUB", "XSUB"],
  XPUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XSUB: ["PUB", "XPUB"],
  PUSH: ["PULL"],
  PULL: ["PUSH"],
  PAIR: ["PAIR"],
  // Draft types (RFC 41, 48, 49, 51, 52).
  CLIENT: ["SERVER"],
  SERVER: ["CLIENT"],
  RADIO: ["DISH"],
  DISH: ["RADIO"],
  SCATTER: ["GATHER"],
  GATHER: ["SCATTER"],
  PEER: ["PEER"],
  CHANNEL: ["CHANNEL"],
});

/** True if `name` is a socket type this table knows (case-insensitive). */
export function isSocketType(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(SOCKET_TYPE_PEERS, name.toUpperCase());
}

/** True if a socket of type `a` may talk to one of type `b` (case-insensitive; symmetric). */
export function socketTypesCompatible(a: string, b: string): boolean {
  const ua = a.toUpperCase();
  if (!Object.prototype.hasOwnProperty.call(SOCKET_TYPE_PEERS, ua)) return false;
  return SOCKET_TYPE_PEERS[ua]!.includes(b.toUpperCase());
}
