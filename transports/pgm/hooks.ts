// Timings of the NAK and session-message machinery, and fault hooks: drop
// chosen datagrams deterministically over real dgram sockets (no tc/netem
// needed) and shorten timers, to test loss handling. Keyed by the socket's
// TransportHost, read live for every datagram; the package exposes them as
// the documented diagnostics setPgmFaults() and pgmDiagnostics().
import type { Packet } from "./packet.js";

export interface PgmTiming {
  /** Receiver: longest random back-off before the first NAK for a gap (OpenPGM nak_bo_ivl as libzmq sets it: 50 ms). */
  nakBackoff: number;
  /** Receiver: wait before NAKing the same sequence again (libzmq: 200 ms). */
  nakRepeat: number;
  /** Receiver: NAKs per sequence before it is given up as lost (libzmq: 50). */
  nakMaxRetries: number;
  /** Sender: a sequence is repaired at most once per this many ms (NAKs from several receivers). */
  repairHoldoff: number;
  /** Sender: session-message intervals after data (libzmq's heartbeat SPMs). */
  spmHeartbeats: readonly number[];
  /** Sender: ambient session-message interval (libzmq: 30 s). */
  spmAmbient: number;
  /** Sender: least spacing of the session messages sent in answer to NAKs for sequences out of the window. */
  spmReplyHoldoff: number;
  /** Receiver: a session silent this long is forgotten (libzmq: 300 s). */
  sessionExpiry: number;
  /** Receiver: a session that hears only far out-of-window packets for this long starts over as a late joiner. */
  resyncAfter: number;
}

export const DEFAULT_TIMING: PgmTiming = Object.freeze({
  nakBackoff: 50,
  nakRepeat: 200,
  nakMaxRetries: 50,
  repairHoldoff: 30,
  spmHeartbeats: Object.freeze([100, 100, 100, 100, 1300, 7000, 16000, 25000, 30000]),
  spmAmbient: 30000,
  spmReplyHoldoff: 20,
  sessionExpiry: 300000,
  resyncAfter: 10000,
});

/** Faults: return true from a drop hook to lose that datagram (outgoing: it is
 * not sent, though the sender counts it as sent; incoming: it is ignored). */
export interface PgmTestHooks {
  dropOutgoing?(p: Packet): boolean;
  dropIncoming?(p: Packet): boolean;
  /** Read when an endpoint opens. */
  timing?: Partial<PgmTiming>;
  /** Sender's first sequence (default random), read when an endpoint opens. */
  initialSequence?: number;
}

const registry = new WeakMap<object, PgmTestHooks>();

/** Install (or with undefined, remove) faults for one socket's host (`socket._host`). */
export function setPgmTestHooks(host: object, hooks: PgmTestHooks | undefined): void {
  if (hooks === undefined) registry.delete(host);
  else registry.set(host, hooks);
}

export function hooksFor(host: object): PgmTestHooks | undefined {
  return registry.get(host);
}

export function timingFor(host: object): PgmTiming {
  const t = registry.get(host)?.timing;
  return t === undefined ? DEFAULT_TIMING : { ...DEFAULT_TIMING, ...t };
}
