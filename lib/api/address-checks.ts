// libzmq's checks of an address, in its order, before anything is looked up:
// no `transport://` is EINVAL, an unknown or unregistered transport
// EPROTONOSUPPORT, one that cannot carry the socket type ENOCOMPATPROTO.
import { type Endpoint, parseEndpoint, parseScheme } from "../core/endpoint.js";
import { zmqError } from "../core/errors.js";
import { type Transport, findTransport } from "../core/transport.js";

/** The endpoint and its transport for a socket of ZMTP type `socketType`. */
export function transportFor(address: string, socketType: string): { ep: Endpoint; transport: Transport } {
  const ep = parseEndpoint(address);
  const transport = findTransport(ep.transport);
  if (transport === undefined) throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${ep.transport}`, address);
  if (transport.supports !== undefined && !transport.supports(socketType)) throw zmqError("ENOCOMPATPROTO", undefined, address);
  return { ep, transport };
}

/** unbind/disconnect as libzmq: the transport is checked, the rest of the
 * address is only looked up (ENOENT). */
export function checkScheme(address: string): void {
  const scheme = parseScheme(address);
  if (findTransport(scheme) === undefined) throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${scheme}`, address);
}
