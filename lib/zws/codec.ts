// The Codec (lib/zmtp/framing.ts) for ZWS 2.0 over a WebSocket byte stream:
// RFC 6455 framing under RFC 45's flags byte. There is no greeting: the
// subprotocol agreed at the upgrade names the mechanism (ZWS2.0/NULL, /PLAIN,
// /CURVE), whose handshake then runs as command frames, exactly as over tcp.
// The bare ZWS2.0 (browsers, jszmq) has no mechanism and no commands: each
// side's first message is its routing id, as in ZMTP 2.0.
import type { Codec, CodecFactory, CodecSelf, FrameSink, PeerPreamble, Preamble } from "../zmtp/framing.js";
import { ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_UNSPECIFIED, FLAG_COMMAND, FLAG_MORE, protocolError } from "../zmtp/constants.js";
import { CLOSE_NORMAL, OP_CLOSE, OP_PONG, ZWS_BARE } from "./constants.js";
import { ZwsDecoder, type WsControl } from "./decoder.js";
import { ZwsEncoder } from "./encoder.js";
import type { ZmtpEncoder } from "../zmtp/encoder.js";
import { controlFrame } from "./control.js";

/** What the codec writes control frames (pong, close) through: the connection. */
export interface ZwsWire {
  write(b: Buffer): unknown;
  end(): unknown;
  destroy(): unknown;
  readonly writableLength: number;
  readonly writableEnded: boolean;
}

export interface ZwsCodecOptions {
  /** We accepted the connection: frames in are masked, frames out are not. */
  server: boolean;
  /** The subprotocol agreed at the upgrade. */
  protocol: string;
  maxMessageSize: number;
  wire: ZwsWire;
}

/** Pongs are skipped while this much is waiting to be written: a ping flood
 * from a peer that does not read must not grow our write queue. */
const PONG_BACKLOG_MAX = 64 * 1024;
/** After answering a close frame, how long the peer has to close the TCP connection. */
const CLOSE_WAIT_MS = 2_000;
const MAX_IDENTITY = 255;
const EMPTY = Buffer.alloc(0);

/** The mechanism a subprotocol names, or undefined for the bare ZWS2.0. */
export function protocolMechanism(protocol: string): string | undefined {
  return protocol === ZWS_BARE ? undefined : protocol.slice(ZWS_BARE.length + 1);
}

export function zwsCodec(o: ZwsCodecOptions): CodecFactory {
  return (self: CodecSelf): Codec => {
    const control = wireControl(o);
    const mechanism = protocolMechanism(o.protocol);
    const newDecoder = (sink: FrameSink) => new ZwsDecoder(sink, { masked: o.server, maxMessageSize: o.maxMessageSize, control });
    return {
      preamble: mechanism === undefined ? new BarePreamble(self, newDecoder, () => new ZwsEncoder(!o.server)) : mechanismPreamble(mechanism, o.server),
      decoder: (sink) => newDecoder(sink),
      encoder: () => new ZwsEncoder(!o.server),
    };
  };
}

/** With a mechanism there is nothing before the handshake. The server (and a
 * PLAIN or CURVE client, whose HELLO opens) starts at once; a NULL client
 * sends its READY only once the server's has arrived: libzmq 4.3.5 as a ws
 * server reads data right behind an early READY as a handshake command and
 * drops the connection (shared/notes/transports.md §3.4). */
function mechanismPreamble(mechanism: string, server: boolean): Preamble {
  const peer: PeerPreamble = { mechanism, asServer: false, subscriptionCommands: false };
  const known = server || mechanism !== "NULL" ? peer : undefined;
  return {
    known,
    start: () => undefined,
    feed: (chunk) => ({ peer, rest: chunk }),
  };
}

/** The decoder side a bare preamble reads the peer's routing id with. */
interface PreambleDecoder {
  push(chunk: Buffer): void;
  /** What arrived after the routing id, for the engine's decoder. */
  takeRest(): Buffer;
}

/** Bare ZWS2.0: send our routing id as the first message, read the peer's
 * (over raw WebSocket framing, or a browser's whole messages). */
export class BarePreamble implements Preamble, FrameSink {
  private readonly decoder: PreambleDecoder;
  private identity: Buffer | undefined;

  constructor(
    private readonly self: CodecSelf,
    newDecoder: (sink: FrameSink) => PreambleDecoder,
    private readonly newEncoder: () => ZmtpEncoder,
  ) {
    this.decoder = newDecoder(this);
  }

  start(): Buffer {
    const e = this.newEncoder();
    e.writeFrame(0, this.self.routingId);
    const out = e.take();
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  feed(chunk: Buffer): { peer: PeerPreamble; rest: Buffer } | undefined {
    this.decoder.push(chunk);
    const id = this.identity;
    if (id === undefined) return undefined;
    return {
      peer: { mechanism: "NULL", asServer: false, subscriptionCommands: false, legacy: { revision: "zws", identity: id } },
      rest: this.decoder.takeRest(),
    };
  }

  frameHeader(flags: number, size: number): void {
    if ((flags & FLAG_COMMAND) !== 0) throw protocolError(ERR_ZMTP_UNSPECIFIED, "ZWS: a command frame from a peer without a mechanism");
    if ((flags & FLAG_MORE) !== 0) throw protocolError(ERR_ZMTP_INVALID_METADATA, "ZWS: the routing-id message has more parts");
    if (size > MAX_IDENTITY) throw protocolError(ERR_ZMTP_INVALID_METADATA, `ZWS: peer routing id of ${size} bytes exceeds ${MAX_IDENTITY}`);
  }

  frame(_flags: number, body: Buffer): boolean {
    this.identity = body.length === 0 ? EMPTY : Buffer.from(body);
    return false; // the rest is the engine's
  }
}

/** Pings answered, a close answered and the connection ended. */
function wireControl(o: ZwsCodecOptions): WsControl {
  const masked = !o.server;
  return {
    ping(payload) {
      // after end() a write would destroy the stream and what it still holds
      if (!o.wire.writableEnded && o.wire.writableLength < PONG_BACKLOG_MAX) o.wire.write(controlFrame(OP_PONG, payload, masked));
    },
    closed(code) {
      // an answer, unless this is the answer to our own close (we have ended)
      if (!o.wire.writableEnded) {
        const body = Buffer.alloc(2);
        // echo a valid status (RFC 6455 §7.4); answer anything else as normal
        body.writeUInt16BE(code !== undefined && validCloseCode(code) ? code : CLOSE_NORMAL);
        o.wire.write(controlFrame(OP_CLOSE, body, masked));
        o.wire.end();
      }
      setTimeout(() => o.wire.destroy(), CLOSE_WAIT_MS).unref();
    },
  };
}

/** Status codes a close frame may carry (RFC 6455 §7.4.1–2): 1005, 1006 and 1015 never go on the wire. */
function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
