// The contract between a Session and whatever moves one connection's messages:
// the ZMTP stream engine (tcp, ipc, and any framing a Codec gives it), or
// something that is not ZMTP at all (a pipe to another thread). A Session
// only ever sees this interface.
import type { Clock } from "../core/clock.js";
import type { ZmqError } from "../core/errors.js";
import type { PipeEnd } from "../core/pipe.js";
import type { Mechanism } from "./mechanisms/mechanism.js";

/** What a handshake learned about the peer. */
export interface EnginePeer {
  /** Its socket type, ZMTP spelling ("DEALER"). */
  socketType: string;
  /** The `Identity` it announced (possibly empty: a ROUTER then generates one). */
  routingId?: Buffer;
  /** The connection's metadata as the peer and the mechanism report it (READY
   * properties; User-Id and ZAP metadata under PLAIN/CURVE). */
  properties: Map<string, Buffer>;
}

/** Why an engine stopped. `phase` tells whether the handshake had completed. */
export interface EngineEnd {
  phase: "handshake" | "active";
  /** handshake:error:* kind, for failures before the handshake completed. */
  kind: "protocol" | "auth" | "other" | undefined;
  error: ZmqError | undefined;
}

export interface Engine {
  /** The handshake has completed (engineReady was called). */
  readonly isReady: boolean;
  /** The session's pipe end: messages read from it go out, messages received
   * go into it. Called by the owner from engineReady. */
  attachPipe(pipe: PipeEnd): void;
  /** The pipe has messages to send (its reader was asleep). */
  pipeReadable(): void;
  /** The pipe has room again after a write was refused. */
  pipeWritable(): void;
  /** Write what is queued, then close (socket close with linger). The pipe is
   * detached: nothing more is read from it, and inbound is dropped. */
  endGracefully(): void;
  /** Close now, dropping whatever is unsent. Idempotent. */
  destroy(): void;
}

/** The engine's owner (a Session). engineClosed may come from inside the
 * owner's own call to destroy() or endGracefully(); engineReady never does. */
export interface EngineOwner {
  /** Handshake complete; the owner must call attachPipe() now. */
  engineReady(engine: Engine, peer: EnginePeer): void;
  /** The connection is gone (called once). */
  engineClosed(engine: Engine, end: EngineEnd): void;
  /** After endGracefully(): everything is written and our FIN sent; the
   * engine only waits for the peer's FIN now. */
  engineFlushed?(engine: Engine): void;
}

/** The part of a net.Socket (or TLS socket, or an adapter) the engine uses. */
export interface EngineStream {
  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  readonly writableEnded: boolean;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
  ref(): unknown;
  unref(): unknown;
  /** "data" (a Buffer), "drain", "error", "close", "end", "finish". */
  on(event: string, fn: (...args: any[]) => void): unknown;
}

export interface EngineOptions {
  /** Our socket type, ZMTP spelling. */
  socketType: string;
  /** Times the handshake, heartbeats and the closing handshake. */
  clock: Clock;
  maxMessageSize: number;
  handshakeInterval: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  mechanism: Mechanism;
  /** The socket type turns 0x01/0x00 pipe messages into SUBSCRIBE/CANCEL (SUB, XSUB)... */
  sendsSubscriptions: boolean;
  /** ...or SUBSCRIBE/CANCEL into pipe messages (PUB, XPUB). */
  takesSubscriptions: boolean;
  /** The peer's address, for received messages' metadata (Peer-Address). */
  peerAddress?: string;
}
