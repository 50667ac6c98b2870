// zeromq.js's options by libzmq number: get/set{Bool,Int32,Uint32,Int64,
// Uint64,String}Option(id[, value]) reach the same state as the named
// properties (zeromq.js defines its named options on top of these). The
// table is zeromq.js 6.8's defineOpt() list, limited to what omq has.
import { ZmqError, zmqError } from "../core/errors.js";
import { optionApplies, optionKind } from "../core/options.js";
import type { Socket } from "./socket.js";

// the accessors' types, on the Socket class
declare module "./socket.js" {
  /** Options by libzmq number (ZMQ_LINGER is 17...), as zeromq.js; installed
   * on the prototype by numeric-options.ts. EINVAL for an option this socket
   * lacks or an accessor of the wrong kind. */
  interface Socket {
    getBoolOption(option: number): boolean;
    setBoolOption(option: number, value: boolean): void;
    getInt32Option(option: number): number;
    setInt32Option(option: number, value: number): void;
    getUint32Option(option: number): number;
    setUint32Option(option: number, value: number): void;
    getInt64Option(option: number): number;
    setInt64Option(option: number, value: number): void;
    getUint64Option(option: number): number;
    setUint64Option(option: number, value: number): void;
    getStringOption(option: number): string | null;
    setStringOption(option: number, value: string | Buffer | null): void;
  }
}

type Accessor = "Bool" | "Int32" | "Uint32" | "Int64" | "Uint64" | "String";

/** libzmq number → omq option name. */
const BY_ID = new Map<number, string>([
  [5, "routingId"], [8, "rate"], [9, "recoveryInterval"], [17, "linger"], [18, "reconnectInterval"], [19, "backlog"],
  [21, "reconnectMaxInterval"], [22, "maxMessageSize"], [23, "sendHighWaterMark"], [24, "receiveHighWaterMark"],
  [25, "multicastHops"], [27, "receiveTimeout"], [28, "sendTimeout"], [33, "mandatory"], [34, "tcpKeepalive"],
  [35, "tcpKeepaliveCount"], [36, "tcpKeepaliveIdle"], [37, "tcpKeepaliveInterval"], [39, "immediate"], [42, "ipv6"],
  [44, "plainServer"], [45, "plainUsername"], [46, "plainPassword"], [47, "curveServer"], [48, "curvePublicKey"],
  [49, "curveSecretKey"], [50, "curveServerKey"], [51, "probeRouter"], [52, "correlate"], [53, "relaxed"],
  [54, "conflate"], [55, "zapDomain"], [56, "handover"], [66, "handshakeInterval"], [69, "noDrop"], [71, "manual"],
  [72, "welcomeMessage"], [73, "notify"], [74, "invertMatching"], [75, "heartbeatInterval"], [76, "heartbeatTimeToLive"],
  [77, "heartbeatTimeout"], [79, "connectTimeout"], [84, "multicastMaxTransportDataUnit"], [93, "zapEnforceDomain"],
]);
/** Read-only ids: ZMQ_TYPE, ZMQ_LAST_ENDPOINT, ZMQ_MECHANISM, ZMQ_THREAD_SAFE. */
const TYPE = 16;
const LAST_ENDPOINT = 32;
const MECHANISM = 43;
const THREAD_SAFE = 81;
const MECHANISMS = [null, "plain", "curve"];

function checkId(id: unknown): asserts id is number {
  if (typeof id !== "number") throw new TypeError("Identifier must be a number");
}

/** libzmq's socket-specific options (xsetsockopt): write-only, and only on
 * the types that have them. Every other option is in libzmq's options_t:
 * readable and writable on any socket. */
const WRITE_ONLY = new Set([33, 51, 52, 53, 56, 69, 71, 72, 73]);

/** The option `id` names, as this access may reach it, or EINVAL (libzmq's
 * answer to an unknown id, or a socket-specific option read or foreign). */
function nameOf(s: Socket, id: number, writing: boolean): string {
  const name = BY_ID.get(id);
  if (name === undefined) throw zmqError("EINVAL");
  if (WRITE_ONLY.has(id) && (!writing || !optionApplies(name, s._info))) throw zmqError("EINVAL");
  return name;
}

const STRINGS = new Set(["id", "bytes", "string", "key"]);

function get(s: Socket, id: unknown, as: Accessor): unknown {
  checkId(id);
  // zeromq.js: an option of a closed socket is ENOTSOCK, read or written
  if (s.closed) throw zmqError("ENOTSOCK");
  let v: unknown;
  let kind: string | undefined;
  if (id === TYPE) [v, kind] = [s.type, "int"];
  else if (id === LAST_ENDPOINT) [v, kind] = [s.lastEndpoint, "string"];
  else if (id === MECHANISM) [v, kind] = [MECHANISMS.indexOf(s.securityMechanism), "int"];
  else if (id === THREAD_SAFE) [v, kind] = [false, "bool"];
  else {
    const name = nameOf(s, id, false);
    [v, kind] = [s._getOption(name), optionKind(name)];
  }
  if (as === "String") {
    if (kind === "int" || kind === "bool") throw zmqError("EINVAL");
    return Buffer.isBuffer(v) ? v.toString("utf8") : v;
  }
  if (kind === "bool") return as === "Bool" ? v : v ? 1 : 0;
  if (kind === "int") return as === "Bool" ? v !== 0 : v;
  throw zmqError("EINVAL");
}

function set(s: Socket, id: unknown, value: unknown, as: Accessor): void {
  checkId(id);
  if (as === "Bool" && typeof value !== "boolean") throw new TypeError("Option value must be a boolean");
  if (as === "String" && value !== null && typeof value !== "string" && !Buffer.isBuffer(value)) {
    throw new TypeError("Option value must be a string or buffer");
  }
  if (as !== "Bool" && as !== "String") {
    if (typeof value !== "number") throw new TypeError("Option value must be a number");
    if ((as === "Uint32" || as === "Uint64") && value < 0) throw zmqError("EINVAL");
    if (as === "Uint64" && value > Number.MAX_SAFE_INTEGER) {
      process.emitWarning("Value is larger than Number.MAX_SAFE_INTEGER and may have been rounded inaccurately.");
    }
  }
  if (id === TYPE || id === LAST_ENDPOINT || id === MECHANISM || id === THREAD_SAFE) throw zmqError("EINVAL");
  const name = nameOf(s, id, true);
  const kind = optionKind(name) ?? "";
  // the accessor must fit the option; a number may set a boolean one (libzmq reads an int)
  let v = value;
  if (as === "String") {
    if (!STRINGS.has(kind)) throw zmqError("EINVAL");
  } else if (as === "Bool") {
    if (kind !== "bool") throw zmqError("EINVAL");
  } else if (kind === "bool") v = value !== 0;
  else if (kind !== "int") throw zmqError("EINVAL");
  try {
    s._setOption(name, v);
  } catch (e) {
    // out of the option's range: libzmq's EINVAL
    if (e instanceof RangeError && !(e instanceof ZmqError)) throw zmqError("EINVAL");
    throw e;
  }
}

/** Install the numeric accessors on Socket's prototype. */
export function installNumericOptions(proto: object): void {
  for (const as of ["Bool", "Int32", "Uint32", "Int64", "Uint64", "String"] as const) {
    Object.defineProperty(proto, `get${as}Option`, {
      value(this: Socket, id: number) {
        return get(this, id, as);
      },
      writable: true,
      configurable: true,
    });
    Object.defineProperty(proto, `set${as}Option`, {
      value(this: Socket, id: number, value: unknown) {
        set(this, id, value, as);
      },
      writable: true,
      configurable: true,
    });
  }
}
