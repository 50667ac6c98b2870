// A failed listen as libzmq reports it, for tcp, ipc and ws: a host name that
// names no interface is ENODEV ("No such device"; libzmq binds to interfaces,
// and resolves names only where they are one of them); otherwise libzmq had
// opened a socket and closes it before giving up, which its monitor reports
// as `close` (with no address for tcp and ws, whose endpoint it had not
// formatted yet; with it for ipc).
import { ZmqError, fromSystemError } from "../lib/core/errors.js";
import type { TransportHost } from "../lib/core/transport.js";

export function listenFailure(err: unknown, address: string, host: TransportHost, closeAddress?: string): ZmqError {
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  if (syscall === "getaddrinfo") return new ZmqError("ENODEV", undefined, { address, cause: err });
  if (syscall === "listen" || syscall === "bind") host.emit(closeAddress === undefined ? { type: "close" } : { type: "close", address: closeAddress });
  return fromSystemError(err, address);
}
