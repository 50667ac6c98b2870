// Every socket option in one table: name, kind, range, default and which
// socket types have it. Socket classes get accessor properties from it, and
// constructor options objects are validated against it.
import { OptionRangeError, ZmqError } from "./errors.js";
import type { SocketTypeDescriptor } from "./socket-type.js";
import { z85Decode, z85Encode } from "./z85.js";

type Kind = "int" | "bool" | "id" | "bytes" | "string" | "verbosity" | "key" | "object";

interface OptionSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly def: unknown;
  readonly min?: number;
  readonly max?: number;
  /** "send"/"receive": sockets that can; "type": the types whose descriptor
   * lists it; absent: every socket. */
  readonly on?: "send" | "receive" | "type";
  /** Acts on live connections too (zeromq.js's list for its "will not take
   * effect until next connect/bind" warning, plus omq's busyPoll). */
  readonly live?: true;
  /** The property can be set but reads as undefined (zeromq.js Acc.Write). */
  readonly writeOnly?: true;
}

const INT_MAX = 2 ** 31 - 1;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { name: "sendHighWaterMark", kind: "int", def: 1000, min: 0, max: INT_MAX, on: "send", live: true },
  { name: "receiveHighWaterMark", kind: "int", def: 1000, min: 0, max: INT_MAX, on: "receive", live: true },
  { name: "sendTimeout", kind: "int", def: -1, min: -1, max: INT_MAX, on: "send", live: true },
  { name: "receiveTimeout", kind: "int", def: -1, min: -1, max: INT_MAX, on: "receive", live: true },
  { name: "linger", kind: "int", def: -1, min: -1, max: INT_MAX, live: true },
  { name: "routingId", kind: "id", def: undefined, on: "type" },
  { name: "reconnectInterval", kind: "int", def: 100, min: -1, max: INT_MAX },
  { name: "reconnectMaxInterval", kind: "int", def: 0, min: 0, max: INT_MAX },
  { name: "connectTimeout", kind: "int", def: 0, min: 0, max: INT_MAX },
  { name: "maxMessageSize", kind: "int", def: -1, min: -1, max: Number.MAX_SAFE_INTEGER },
  { name: "immediate", kind: "bool", def: false },
  { name: "handshakeInterval", kind: "int", def: 30000, min: 0, max: INT_MAX },
  { name: "heartbeatInterval", kind: "int", def: 0, min: 0, max: INT_MAX },
  { name: "heartbeatTimeout", kind: "int", def: -1, min: -1, max: INT_MAX },
  { name: "heartbeatTimeToLive", kind: "int", def: 0, min: 0, max: 6553599 },
  { name: "tcpKeepalive", kind: "int", def: -1, min: -1, max: 1 },
  { name: "tcpKeepaliveCount", kind: "int", def: -1, min: -1, max: INT_MAX },
  { name: "tcpKeepaliveIdle", kind: "int", def: -1, min: -1, max: INT_MAX },
  { name: "tcpKeepaliveInterval", kind: "int", def: -1, min: -1, max: INT_MAX },
  { name: "ipv6", kind: "bool", def: false },
  // omq only: µs a waiting send/receive keeps the event loop polling (lib/api/busy-poll.ts);
  // -1 (default): adapted to the socket's recent waits; 0: never
  { name: "busyPoll", kind: "int", def: -1, min: -1, max: 1_000_000, live: true },
  { name: "backlog", kind: "int", def: 100, min: 0, max: INT_MAX },
  // omq only: ws/wss (transports/ws); objects are kept as given
  { name: "tls", kind: "object", def: null },
  { name: "httpServer", kind: "object", def: null },
  { name: "wsNoMechanism", kind: "bool", def: false },
  { name: "plainServer", kind: "bool", def: false },
  { name: "plainUsername", kind: "string", def: null },
  { name: "plainPassword", kind: "string", def: null },
  { name: "curveServer", kind: "bool", def: false },
  { name: "curvePublicKey", kind: "key", def: null },
  { name: "curveSecretKey", kind: "key", def: null },
  { name: "curveServerKey", kind: "key", def: null },
  { name: "zapDomain", kind: "string", def: null },
  { name: "zapEnforceDomain", kind: "bool", def: false },
  { name: "rate", kind: "int", def: 100, min: 1, max: INT_MAX },
  { name: "recoveryInterval", kind: "int", def: 10000, min: 0, max: INT_MAX },
  { name: "multicastMaxTransportDataUnit", kind: "int", def: 1500, min: 64, max: 65507 },
  { name: "multicastHops", kind: "int", def: 1, min: 0, max: 255, on: "send" },
  // per type: each socket type's descriptor lists those it accepts
  { name: "conflate", kind: "bool", def: false, on: "type" },
  { name: "invertMatching", kind: "bool", def: false, on: "type" },
  { name: "noDrop", kind: "bool", def: false, on: "type" },
  { name: "manual", kind: "bool", def: false, on: "type" },
  { name: "welcomeMessage", kind: "bytes", def: undefined, on: "type" },
  { name: "verbosity", kind: "verbosity", def: null, on: "type", live: true },
  { name: "correlate", kind: "bool", def: false, on: "type", live: true },
  { name: "relaxed", kind: "bool", def: false, on: "type", live: true },
  { name: "probeRouter", kind: "bool", def: false, on: "type", live: true },
  { name: "mandatory", kind: "bool", def: false, on: "type", live: true },
  { name: "handover", kind: "bool", def: false, on: "type", live: true },
  // ZMQ_STREAM_NOTIFY; zeromq.js defines it write-only (reading gives undefined)
  { name: "notify", kind: "bool", def: true, on: "type", writeOnly: true },
];

const BY_NAME = new Map(OPTION_SPECS.map((s) => [s.name, s]));

/** libzmq takes every option on every socket but the type-specific ones
 * (ROUTER_MANDATORY on a DEALER is EINVAL): may `type` read or write it by number? */
export function optionApplies(name: string, type: SocketTypeDescriptor): boolean {
  const s = BY_NAME.get(name);
  return s !== undefined && (s.on !== "type" || type.options.includes(name));
}

/** Whether setting the option changes live connections (else only later ones). */
export function appliesAtOnce(name: string): boolean {
  return BY_NAME.get(name)?.live === true;
}

/** Set-only (zeromq.js reads it as undefined). */
export function isWriteOnly(name: string): boolean {
  return BY_NAME.get(name)?.writeOnly === true;
}

/** An option's kind ("int", "bool", "string"...), or undefined if there is none by that name. */
export function optionKind(name: string): Kind | undefined {
  return BY_NAME.get(name)?.kind;
}

/** The option names a socket type has. */
export function optionNamesFor(type: SocketTypeDescriptor): string[] {
  for (const name of type.options) {
    if (BY_NAME.get(name)?.on !== "type") throw new TypeError(`socket type ${type.name} lists ${name}, not a per-type option`);
  }
  return OPTION_SPECS.filter((s) => {
    if (s.on === undefined) return true;
    if (s.on === "send") return type.canSend;
    if (s.on === "receive") return type.canReceive;
    return type.options.includes(s.name);
  }).map((s) => s.name);
}

/** Internal, normalised option values (ids and byte options as Buffers). */
export type OptionValues = Record<string, unknown> & {
  sendHighWaterMark: number;
  receiveHighWaterMark: number;
  sendTimeout: number;
  receiveTimeout: number;
  linger: number;
  routingId: Buffer | undefined;
  reconnectInterval: number;
  reconnectMaxInterval: number;
  connectTimeout: number;
  maxMessageSize: number;
  immediate: boolean;
  handshakeInterval: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  tcpKeepalive: number;
  tcpKeepaliveIdle: number;
  ipv6: boolean;
  backlog: number;
  busyPoll: number;
  tls: Record<string, unknown> | null;
  httpServer: object | null;
  wsNoMechanism: boolean;
  rate: number;
  recoveryInterval: number;
  multicastMaxTransportDataUnit: number;
  multicastHops: number;
  conflate: boolean;
  invertMatching: boolean;
  noDrop: boolean;
  manual: boolean;
  welcomeMessage: Buffer | undefined;
  verbosity: "allSubs" | "allSubsUnsubs" | null;
  correlate: boolean;
  relaxed: boolean;
  probeRouter: boolean;
  mandatory: boolean;
  handover: boolean;
  notify: boolean;
  plainServer: boolean;
  plainUsername: string | null;
  plainPassword: string | null;
  curveServer: boolean;
  curvePublicKey: Buffer | null;
  curveSecretKey: Buffer | null;
  curveServerKey: Buffer | null;
  zapDomain: string | null;
  zapEnforceDomain: boolean;
  /** Not options: the mechanism and role the security options chose (applySecurityOption). */
  mechanism: "null" | "plain" | "curve";
  asServer: boolean;
};

export function defaultValues(): OptionValues {
  const v: Record<string, unknown> = {};
  for (const s of OPTION_SPECS) v[s.name] = s.def;
  v.mechanism = "null";
  v.asServer = false;
  return v as OptionValues;
}

/** Validate and normalise one option value; throws TypeError/RangeError. */
export function normalizeOption(name: string, value: unknown): unknown {
  const s = BY_NAME.get(name);
  if (s === undefined) throw new TypeError(`Unknown socket option: ${name}`);
  let out: unknown;
  switch (s.kind) {
    case "int": {
      if (typeof value !== "number" || Number.isNaN(value)) throw new TypeError(`Option value must be a number (${name})`);
      if (!Number.isInteger(value) || value < (s.min ?? -Infinity) || value > (s.max ?? Infinity)) {
        throw new OptionRangeError(`Option ${name}: ${value} is out of range [${s.min}, ${s.max}]`);
      }
      out = value;
      break;
    }
    case "bool":
      if (typeof value !== "boolean") throw new TypeError(`Option value must be a boolean (${name})`);
      out = value;
      break;
    case "id": {
      if (value === null || value === undefined) {
        out = undefined;
        break;
      }
      const b = bytesOf(name, value);
      // libzmq: 1-255 bytes; a leading zero byte is reserved for generated ids
      if (b.length < 1 || b.length > 255 || b[0] === 0) {
        throw new OptionRangeError(`Option ${name}: must be 1 to 255 bytes not starting with a zero byte`);
      }
      out = b;
      break;
    }
    case "bytes":
      out = value === null || value === undefined ? undefined : bytesOf(name, value);
      break;
    case "string":
      if (value !== null && typeof value !== "string") throw new TypeError(`Option value must be a string or buffer (${name}: a string or null)`);
      // libzmq: PLAIN credentials are 1 to 255 bytes
      if (typeof value === "string" && name.startsWith("plain") && (value.length === 0 || Buffer.byteLength(value) > 255)) {
        throw new ZmqError("EINVAL", `Option ${name}: must be 1 to 255 bytes`);
      }
      out = value;
      break;
    case "key":
      out = value === null ? null : curveKey(name, value);
      break;
    case "object":
      if (value !== null && (typeof value !== "object" || Array.isArray(value))) throw new TypeError(`Option value must be an object or null (${name})`);
      out = value;
      break;
    case "verbosity":
      if (value !== null && value !== "allSubs" && value !== "allSubsUnsubs") {
        throw new TypeError(`Option ${name}: must be null, "allSubs" or "allSubsUnsubs"`);
      }
      out = value;
      break;
  }
  return out;
}

/** A CURVE key: 40 Z85 characters or 32 bytes (as zeromq.js and libzmq accept). */
function curveKey(name: string, value: unknown): Buffer {
  if (typeof value === "string") {
    if (value.length !== 40) throw new ZmqError("EINVAL", `Option ${name}: a Z85 key is 40 characters, not ${value.length}`);
    try {
      return z85Decode(value);
    } catch {
      throw new ZmqError("EINVAL", `Option ${name}: not a Z85 key`);
    }
  }
  if (value instanceof Uint8Array) {
    if (value.length !== 32) throw new ZmqError("EINVAL", `Option ${name}: a binary key is 32 bytes, not ${value.length}`);
    return Buffer.from(value);
  }
  throw new TypeError(`Option value must be a string or buffer (${name}: a Z85 string, a 32-byte Buffer or null)`);
}

/**
 * The security mechanism and role follow the last security option set, as in
 * libzmq's options_t: plainServer/curveServer pick PLAIN/CURVE as server (or
 * NULL when false); a username, password or server key picks the client side;
 * curvePublicKey/curveSecretKey pick CURVE and leave the role; a null
 * username or password goes back to NULL.
 */
export function applySecurityOption(o: OptionValues, name: string, value: unknown): void {
  switch (name) {
    case "plainServer":
    case "curveServer":
      o.asServer = value === true;
      o.mechanism = value === true ? (name === "plainServer" ? "plain" : "curve") : "null";
      return;
    case "plainUsername":
    case "plainPassword":
      if (value === null) o.mechanism = "null";
      else {
        o.mechanism = "plain";
        o.asServer = false;
      }
      return;
    case "curveServerKey":
      if (value !== null) {
        o.mechanism = "curve";
        o.asServer = false;
      }
      return;
    case "curvePublicKey":
    case "curveSecretKey":
      if (value !== null) o.mechanism = "curve";
      return;
  }
}

/** plainServer/curveServer as libzmq reads them back: the role, and only
 * while that mechanism is the one chosen. undefined for other options. */
export function securityReadback(o: OptionValues, name: string): boolean | undefined {
  if (name === "plainServer") return o.asServer && o.mechanism === "plain";
  if (name === "curveServer") return o.asServer && o.mechanism === "curve";
  return undefined;
}

function bytesOf(name: string, value: unknown): Buffer {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`Option value must be a string or buffer (${name})`);
}

/** The value as a getter returns it (ids as strings, as zeromq.js). */
export function publicValue(name: string, value: unknown): unknown {
  const s = BY_NAME.get(name);
  if (s?.kind === "id") return value === undefined ? null : (value as Buffer).toString("utf8");
  if (s?.kind === "bytes") return value === undefined ? null : value;
  if (s?.kind === "key") return value === null ? null : z85Encode(value as Buffer);
  return value;
}
