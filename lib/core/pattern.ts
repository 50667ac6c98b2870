// The contract between Socket and a socket type. A pattern is synchronous: no
// I/O, no timers, no promises. The Socket owns waiting callers; the pattern
// tells it (through its host) when a blocked send or receive may succeed now.
import type { ZmqError } from "./errors.js";
import type { Msg } from "./message.js";
import type { PipeEnd } from "./pipe.js";

export type SendResult = "sent" | "blocked" | "dropped";

/** What a pattern reads from its socket's options (live values). */
export interface PatternOptions {
  readonly receiveHighWaterMark: number;
  readonly routingId: Buffer | undefined;
  readonly conflate: boolean;
  readonly invertMatching: boolean;
  readonly noDrop: boolean;
  readonly manual: boolean;
  readonly welcomeMessage: Buffer | undefined;
  readonly verbosity: "allSubs" | "allSubsUnsubs" | null;
  readonly correlate: boolean;
  readonly relaxed: boolean;
  readonly probeRouter: boolean;
  readonly mandatory: boolean;
  readonly handover: boolean;
}

/** Why a socket dropped a message it had accepted (omq/testing's trace). */
export type DropReason = "hwm" | "unsubscribed" | "unroutable";

export interface PatternHost {
  readonly options: PatternOptions;
  /** Uniform in [0, 1): the context clock's random source (generated ids). */
  readonly random: () => number;
  /** The pattern dropped `msg` (not called for a send that waits). */
  dropped(msg: Msg, reason: DropReason): void;
  /** A receive() may now succeed. */
  readable(): void;
  /** A blocked send() may now succeed. */
  writable(): void;
}

export interface Pattern {
  /** A new pipe to a peer. The pattern becomes its sink. */
  attach(pipe: PipeEnd): void;
  /** Queue a whole message. "blocked": nothing was queued, retry after
   * host.writable(). May throw ZmqError (EFSM, EHOSTUNREACH, ENOTSUP). */
  send(msg: Msg): SendResult;
  /** The next whole message, or undefined. May throw ZmqError (EFSM). */
  receive(): Msg | undefined;
  /** Would receive() return a message now (ZMQ_POLLIN)? */
  hasIn(): boolean;
  /** Would send() queue a message now (ZMQ_POLLOUT)? */
  hasOut(): boolean;
  /** True for types that drop at the HWM instead of waiting (PUB, XPUB,
   * ROUTER): their senders never block, so the socket must give the event loop
   * a turn now and then or the pipes fill before any engine writes. */
  readonly dropsWhenFull?: boolean;
  /** Throws EFSM (or ENOTSUP) when receive() cannot be called in this state.
   * `queuedSends`: send() calls accepted by the socket but still waiting. */
  checkReceive?(queuedSends: number): void;
  /** Throws EFSM (or ENOTSUP) when send() cannot be called in this state. */
  checkSend?(queuedSends: number): void;
  /** What a send that waited for sendTimeout rejects with, when not EAGAIN. */
  sendTimeoutError?(msg: Msg): ZmqError | undefined;
}
