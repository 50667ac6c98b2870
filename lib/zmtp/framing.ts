// The seam between an engine and a wire framing. ZMTP over a byte stream
// (tcp, ipc) is one Codec; ZWS (one WebSocket message per frame, no greeting)
// or an old ZMTP revision is another, and the engine does not change.
//
// Frame flags above the codec are always ZMTP's: FLAG_MORE (1) and
// FLAG_COMMAND (4), whatever bits the wire uses.
import type { Msg } from "../core/message.js";

/** Where decoded frames go (the engine's assembler, or a mechanism opening them). */
export interface FrameSink {
  /** A frame's header, before any byte of its body is kept: throw to refuse
   * the frame (limits, a data frame before the handshake ends). */
  frameHeader(flags: number, size: number): void;
  /** One whole frame; the body is a zero-copy view where the framing allows.
   * Return false to suspend decoding after it (back-pressure). */
  frame(flags: number, body: Buffer): boolean | void;
}

/** Bytes (or whole wire messages) in, frames out. */
export interface FrameDecoder {
  /** Frames go here; the engine swaps it when the handshake ends. */
  sink: FrameSink;
  /** Decode a chunk. Throws ZmqError (EPROTO, EMSGSIZE) on bad input and on
   * every later call; a sink's exception ends the decoder too. While
   * suspended, chunks are kept (zero-copy) until resume(). */
  push(chunk: Buffer): void;
  /** Continue after frame() returned false; may suspend again. */
  resume(): void;
  readonly suspended: boolean;
  /** Bytes received and not decoded yet. */
  readonly pendingBytes: number;
  /** Where the next read may land directly (the rest of a large body), or
   * undefined; the caller reports the bytes with wrote(). */
  readTarget(min: number): Buffer | undefined;
  wrote(n: number): void;
}

/**
 * Frames in, one batch of Buffers per flush out. take() hands the batch over;
 * the encoder never writes again into bytes it handed out. released(batch)
 * says every batch up to that one has been written, so their memory may be
 * reused (an optimisation: without it the encoder allocates).
 */
export interface FrameEncoder {
  /** Bytes in the batch being built. */
  readonly length: number;
  /** One multipart message (MORE on all frames but the last). */
  writeMessage(msg: Msg): void;
  /** One frame with the given flags (FLAG_MORE / FLAG_COMMAND). */
  writeFrame(flags: number, body: Buffer): void;
  /** One command: name (1-255 printable ASCII) and data. */
  writeCommand(name: string, data: Buffer): void;
  /** A command whose `size` data bytes the caller fills in the returned view
   * before the next call (a mechanism sealing a frame writes straight into
   * the batch's memory). */
  commandSpace(name: string, size: number): Buffer;
  /** The same for a frame with the given flags (a sealed CURVE MESSAGE is a
   * data frame on the wire, as libzmq sends it). */
  frameSpace(flags: number, size: number): Buffer;
  take(): Buffer[];
  /** Optional: the framing's own goodbye before a graceful end (a WebSocket
   * close frame), appended to the batch. */
  writeClose?(): void;
  /** The number of the batch take() returned last. */
  readonly lastBatch: number;
  released(batch: number): void;
}

/** What the peer's preamble (the ZMTP greeting) said. */
export interface PeerPreamble {
  /** Security mechanism name: "NULL", "PLAIN", "CURVE". */
  mechanism: string;
  asServer: boolean;
  /** Subscriptions travel as SUBSCRIBE/CANCEL commands (ZMTP 3.1+), not as
   * 0x01/0x00 messages (ZMTP 3.0 and older). */
  subscriptionCommands: boolean;
  /** A peer older than ZMTP 3.0: no mechanism, no commands; the preamble
   * already exchanged the socket type (2.0) and the identities. */
  legacy?: LegacyPeer;
}

export interface LegacyPeer {
  /** "2.0" (RFC 15), "1.0" (revision 0: ZMTP 1.0 framing after a versioned
   * greeting), "unversioned" (RFC 13: a ZeroMQ 2.x peer) or "zws" (the bare
   * ZWS2.0 subprotocol of RFC 45: routing ids, then messages). */
  revision: "2.0" | "1.0" | "unversioned" | "zws";
  /** The socket-type byte of its greeting (ZMQ_* number); none for RFC 13. */
  socketType?: number;
  /** Its identity frame (empty: none). */
  identity: Buffer;
}

/** What precedes the frames: the ZMTP greeting, or nothing (ZWS). */
export interface Preamble {
  /** The peer's facts when they are known before any of its bytes (ZWS: the
   * subprotocol named the mechanism): the handshake starts at once. */
  readonly known?: PeerPreamble;
  /** Bytes to write as soon as the connection is up. */
  start(): Buffer | undefined;
  /** The peer's bytes until the preamble is complete. `send` writes more of
   * ours (a greeting sent in stages). Returns the peer's facts and the bytes
   * after the preamble once complete; throws ZmtpError on a bad preamble. */
  feed(chunk: Buffer, send: (b: Buffer) => void): { peer: PeerPreamble; rest: Buffer } | undefined;
}

/** One connection's framing. */
export interface Codec {
  readonly preamble: Preamble;
  /** Called once each, when the preamble is complete: the peer's revision
   * may pick the framing. */
  decoder(sink: FrameSink, peer: PeerPreamble): FrameDecoder;
  encoder(peer: PeerPreamble): FrameEncoder;
}

/** The local side a codec speaks for: its mechanism goes into the greeting;
 * its socket type number and routing id into an old peer's greeting. */
export interface CodecSelf {
  mechanism: string;
  asServer: boolean;
  /** libzmq's ZMQ_* number of our socket type. */
  socketType: number;
  /** Our routing id (ZMTP 2.0/1.0 identity frame); empty when unset. */
  routingId: Buffer;
}

/** Makes a connection's codec: one per transport framing (ZMTP, ZWS). */
export type CodecFactory = (self: CodecSelf) => Codec;
