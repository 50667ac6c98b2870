// A socket type is one descriptor: its names, what it can do, which peers it
// accepts, its options, its pattern, and how its subscriptions cross the wire.
// The package's entry point registers the descriptors (patterns/index.ts); the
// core only looks them up, so a new type adds a descriptor and touches no table.
import type { Pattern, PatternHost } from "./pattern.js";

/** The classic types' names as socket() and the classes use them. */
export type SocketTypeName =
  | "pair" | "pub" | "sub" | "req" | "rep" | "dealer" | "router" | "pull" | "push" | "xpub" | "xsub" | "stream";

export interface SocketTypeDescriptor {
  readonly name: SocketTypeName;
  /** libzmq's ZMQ_* number, exposed as `socket.type` (as zeromq.js). */
  readonly number: number;
  /** The ZMTP `Socket-Type` property value. */
  readonly zmtp: string;
  /** Peer types it may talk to, ZMTP spelling (RFC 37 and the type's own RFC). */
  readonly peers: readonly string[];
  readonly canSend: boolean;
  readonly canReceive: boolean;
  /** Options of this type beyond those every socket has (and every sending or
   * receiving socket has: see the option table). */
  readonly options: readonly string[];
  /** READY carries `Identity` (libzmq: REQ, DEALER, ROUTER). */
  readonly sendsIdentity: boolean;
  /** How 0x01/0x00 pipe messages meet the wire: "sends" turns them into
   * SUBSCRIBE/CANCEL for ZMTP 3.1 peers (SUB, XSUB), "takes" turns those
   * commands back into pipe messages (PUB, XPUB). */
  readonly subscriptions?: "sends" | "takes";
  /** libzmq's own default linger for the type, where it is not -1 (SUB and
   * XSUB start at 0: their queued subscriptions are not worth waiting for). */
  readonly defaultLinger?: number;
  /** ZMQ_STREAM: its connections carry raw bytes, no ZMTP (greeting,
   * handshake, frames); only transports that are byte streams can carry it. */
  readonly raw?: boolean;
  createPattern(host: PatternHost): Pattern;
}

const byName = new Map<string, SocketTypeDescriptor>();
const byZmtp = new Map<string, SocketTypeDescriptor>();
const byNumber = new Map<number, SocketTypeDescriptor>();

export function registerSocketType(d: SocketTypeDescriptor): void {
  byName.set(d.name, d);
  byZmtp.set(d.zmtp, d);
  byNumber.set(d.number, d);
}

/** The descriptor for a libzmq ZMQ_* number (a ZMTP 2.0 greeting's socket type). */
export function findSocketTypeByNumber(n: number): SocketTypeDescriptor | undefined {
  return byNumber.get(n);
}

/** The descriptor for a type name (case-insensitive), if registered. */
export function findSocketType(name: string): SocketTypeDescriptor | undefined {
  return byName.get(name.toLowerCase());
}

/** True if a socket of type `a` may talk to one of type `b` (ZMTP spellings, any case). */
export function socketTypesCompatible(a: string, b: string): boolean {
  return byZmtp.get(a.toUpperCase())?.peers.includes(b.toUpperCase()) ?? false;
}
