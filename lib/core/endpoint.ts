// Parse every endpoint form omq accepts (README "Endpoints"). Malformed addresses throw EINVAL;
// an unknown scheme throws EPROTONOSUPPORT.
import { zmqError } from "./errors.js";

export type Endpoint =
  | { transport: "inproc"; address: string; name: string }
  | { transport: "ipc"; address: string; path: string; abstract: boolean }
  | { transport: "tcp"; address: string; host: string; port: number | "*"; source?: string }
  | { transport: "ws" | "wss"; address: string; host: string; port: number | "*"; path: string }
  | { transport: "pgm" | "epgm"; address: string; iface: string; group: string; port: number }
  /** omq/testing's simulated network: node:port (transports/sim). */
  | { transport: "sim"; address: string; host: string; port: number | "*" };

const KNOWN = new Set(["inproc", "ipc", "tcp", "ws", "wss", "pgm", "epgm", "udp", "vmci", "tipc", "norm", "vsock", "sim"]);

function einval(address: string, why: string): never {
  throw zmqError("EINVAL", `Invalid argument: ${why}`, address);
}

/** `host:port` with optional [ipv6] brackets. */
function hostPort(address: string, rest: string): { host: string; port: number | "*" } {
  let host: string;
  let portStr: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") einval(address, "malformed IPv6 address");
    host = rest.slice(1, close);
    portStr = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) einval(address, "missing port");
    host = rest.slice(0, colon);
    portStr = rest.slice(colon + 1);
  }
  if (host.length === 0) einval(address, "missing host");
  if (portStr === "*" || portStr === "0") return { host, port: "*" };
  if (!/^[0-9]{1,5}$/.test(portStr)) einval(address, "malformed port");
  const port = Number(portStr);
  if (port < 1 || port > 65535) einval(address, "port out of range");
  return { host, port };
}

/** The `transport` of `transport://…`, checked as libzmq checks every address
 * first: no `://` is EINVAL, an unknown transport EPROTONOSUPPORT. */
export function parseScheme(address: unknown): string {
  if (typeof address !== "string") throw new TypeError("Address must be a string");
  const sep = address.indexOf("://");
  if (sep <= 0) einval(address, "missing transport://");
  const scheme = address.slice(0, sep);
  if (!KNOWN.has(scheme)) throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${scheme}`, address);
  return scheme;
}

export function parseEndpoint(input: unknown): Endpoint {
  const scheme = parseScheme(input);
  const address = input as string;
  const rest = address.slice(scheme.length + 3);
  switch (scheme) {
    case "inproc":
      if (rest.length === 0) einval(address, "empty inproc name");
      return { transport: "inproc", address, name: rest };
    case "ipc": {
      if (rest.length === 0) einval(address, "empty ipc path");
      const abstract = rest.startsWith("@");
      if (abstract && rest.length === 1) einval(address, "empty abstract name");
      return { transport: "ipc", address, path: abstract ? rest.slice(1) : rest, abstract };
    }
    case "tcp": {
      // libzmq: tcp://source-address;host:port
      const semi = rest.indexOf(";");
      const target = semi >= 0 ? rest.slice(semi + 1) : rest;
      const { host, port } = hostPort(address, target);
      const ep: Endpoint = { transport: "tcp", address, host, port };
      if (semi >= 0) ep.source = rest.slice(0, semi);
      return ep;
    }
    case "ws":
    case "wss": {
      const slash = rest.indexOf("/");
      const hp = slash >= 0 ? rest.slice(0, slash) : rest;
      const path = slash >= 0 ? rest.slice(slash) : "/";
      const { host, port } = hostPort(address, hp);
      return { transport: scheme, address, host, port, path };
    }
    case "pgm":
    case "epgm": {
      const semi = rest.indexOf(";");
      if (semi <= 0) einval(address, "pgm needs interface;group:port");
      const iface = rest.slice(0, semi);
      const { host, port } = hostPort(address, rest.slice(semi + 1));
      if (port === "*") einval(address, "pgm needs an explicit port");
      const m = /^(\d+)\.\d+\.\d+\.\d+$/.exec(host);
      if (!m || Number(m[1]) < 224 || Number(m[1]) > 239) einval(address, "group must be an IPv4 multicast address");
      return { transport: scheme, address, iface, group: host, port };
    }
    case "sim":
      return { transport: "sim", address, ...hostPort(address, rest) };
    default:
      throw zmqError("EPROTONOSUPPORT", `Protocol not supported: ${scheme}`, address);
  }
}
