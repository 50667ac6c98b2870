// libzmq's checks of an address, in its order, before anything is looked up:
// no `transport://` is EINVAL, an unknown or unregistered transport
// EPROTONOSUPPORT, one that cannot carry the socket type ENOCOMPATPROTO.
import { type Endpoint, parseEndpoint, parseScheme } from "../core/endpoint.js";
import { zmqError } from "../core/errors.js";
import type { SocketTypeDescriptor } from "../core/socket-type.js";
import { type Transport, findTransport } from "../core/transport.js";

/** The endpoint and its transport for a socket of type `type`. */
export function transportFor(address: string, type: SocketTypeDescriptor): { ep: Endpoint; transport: Transport } {
  const ep = parseEndpoint(address);
  const transport = findTransport(ep.transport);
  if (transport === undefined) throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${ep.transport}`, address);
  if (transport.supports !== undefined && !transport.supports(type.zmtp)) throw zmqError("ENOCOMPATPROTO", undefined, address);
  // raw bytes need a byte stream (libzmq also binds STREAM on inproc and ws,
  // where no raw peer can exist: README, differences)
  if (type.raw === true && transport.rawStreams !== true) throw zmqError("ENOCOMPATPROTO", undefined, address);
  return { ep, transport };
}

/** unbind/disconnect as libzmq: the transport is checked, the rest of the
 * address is only looked up (ENOENT). */
export function checkScheme(address: string): void {
  const scheme = parseScheme(address);
  if (findTransport(scheme) === undefined) throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${scheme}`, address);
}
