// The interface part of pgm://iface;group:port: an IPv4 address of this host
// or an interface name (its first IPv4 address). Required: without it the
// kernel would pick the default-route interface and the group would reach the
// real network (see the README).
import { networkInterfaces } from "node:os";
import { zmqError } from "../../lib/core/errors.js";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The IPv4 address to bind and send from; throws EINVAL (as libzmq) when it is not local. */
export function resolveInterface(iface: string, address: string): string {
  const nets = networkInterfaces();
  const m = IPV4.exec(iface);
  if (m !== null) {
    for (const list of Object.values(nets)) {
      for (const a of list ?? []) if (a.family === "IPv4" && a.address === iface) return iface;
    }
    throw zmqError("EINVAL", `Invalid argument: ${iface} is not an IPv4 address of this host`, address);
  }
  for (const a of nets[iface] ?? []) if (a.family === "IPv4") return a.address;
  throw zmqError("EINVAL", `Invalid argument: no interface ${iface} that is up and has an IPv4 address`, address);
}
