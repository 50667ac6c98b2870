// ZMTP over a byte stream (tcp, ipc): the greeting, sent in stages as libzmq
// 4.3 sends it so that a peer of any revision is recognised before it
// misreads anything, then length-prefixed frames in the framing the peer's
// revision calls for: ZMTP 3.x (RFC 23/37) and 2.0 (RFC 15) share one, 1.0
// (RFC 13) has its own.
//
// The stages (RFC 15 "Backwards Interoperability", libzmq zmtp_engine_t):
//   1. send the 10-byte signature, whose padding is our identity length + 1
//      (to an RFC 13 peer, the header of our identity frame);
//   2. the peer's first byte is not 0xFF, or bit 0 of its 10th is clear: an
//      RFC 13 peer; send our identity's body and read its identity frame;
//   3. otherwise send our major version (3) and read the peer's revision:
//      0 (1.0) or 1 (2.0): send our socket type and identity frame, read its
//      socket type and identity frame; 3 or more: send the rest of the 3.x
//      greeting and read the rest of the peer's.
import type { Codec, CodecSelf, FrameSink, LegacyPeer, PeerPreamble, Preamble } from "./framing.js";
import { ZmtpDecoder } from "./decoder.js";
import { ZmtpEncoder } from "./encoder.js";
import { GreetingParser, encodeGreeting } from "./greeting.js";
import {
  ERR_ZMTP_INVALID_METADATA, ERR_ZMTP_UNSPECIFIED, GREETING_SIZE, MAJOR_OFFSET, MINOR_OFFSET, SIGNATURE_FIRST,
  SIGNATURE_SIZE, VERSION_MAJOR, protocolError,
} from "./constants.js";
import { V1Decoder, V1Encoder } from "./v1-codec.js";

const REVISION_1_0 = 0;
const REVISION_2_0 = 1;
/** The longest preamble there is: a 2.0 greeting (12) and a long identity
 * frame (9-byte header + 255). A peer still short of its preamble past this
 * is not a ZMTP peer. */
const MAX_PREAMBLE = 12 + 9 + 255;
const MAX_IDENTITY = 255;
const EMPTY = Buffer.alloc(0);

type Step = "signature" | "revision" | "v3" | "legacy-greeting" | "identity";

class ZmtpNegotiation implements Preamble {
  private acc: Buffer = EMPTY;
  private step: Step = "signature";
  private legacy: LegacyPeer["revision"] | undefined;
  private peerType: number | undefined;
  /** Where the peer's identity frame starts in `acc`. */
  private identityAt = 0;
  private readonly greeting: Buffer;

  constructor(private readonly self: CodecSelf) {
    this.greeting = encodeGreeting(self.mechanism, self.asServer);
    // libzmq: the signature's padding is (identity length + 1), 64-bit BE
    this.greeting.writeUInt32BE(0, 1);
    this.greeting.writeUInt32BE(self.routingId.length + 1, 5);
  }

  start(): Buffer {
    return this.greeting.subarray(0, SIGNATURE_SIZE);
  }

  feed(chunk: Buffer, send: (b: Buffer) => void): { peer: PeerPreamble; rest: Buffer } | undefined {
    const a = (this.acc = this.acc.length === 0 ? chunk : Buffer.concat([this.acc, chunk]));
    if (this.step === "signature") {
      if (a[0] !== SIGNATURE_FIRST) this.unversioned(send);
      else if (a.length < SIGNATURE_SIZE) return this.incomplete();
      else if ((a[SIGNATURE_SIZE - 1]! & 1) === 0) this.unversioned(send);
      else {
        send(this.greeting.subarray(MAJOR_OFFSET, MAJOR_OFFSET + 1));
        this.step = "revision";
      }
    }
    if (this.step === "revision") {
      if (a.length <= MAJOR_OFFSET) return this.incomplete();
      const revision = a[MAJOR_OFFSET]!;
      if (revision === REVISION_1_0 || revision === REVISION_2_0) {
        this.legacy = revision === REVISION_1_0 ? "1.0" : "2.0";
        send(Buffer.concat([Buffer.of(this.self.socketType), this.identityFrame()]));
        this.step = "legacy-greeting";
      } else if (revision < VERSION_MAJOR) {
        throw protocolError(ERR_ZMTP_UNSPECIFIED, `unknown ZMTP revision ${revision}`);
      } else {
        send(this.greeting.subarray(MINOR_OFFSET));
        this.step = "v3";
      }
    }
    if (this.step === "v3") {
      if (a.length < GREETING_SIZE) return this.incomplete();
      const r = new GreetingParser().feed(a);
      if (r.state === "error") throw protocolError(r.zmtpCode, r.reason);
      if (r.state === "need-more") return this.incomplete();
      const g = r.greeting;
      this.acc = EMPTY;
      return { peer: { mechanism: g.mechanism, asServer: g.asServer, subscriptionCommands: g.minor >= 1 }, rest: r.rest };
    }
    if (this.step === "legacy-greeting") {
      if (a.length < 12) return this.incomplete();
      this.peerType = a[11]!;
      this.identityAt = 12;
      this.step = "identity";
    }
    return this.identity();
  }

  /** RFC 13: the bytes so far are the peer's identity frame; the 10 we sent
   * were our identity frame's header, its body follows. */
  private unversioned(send: (b: Buffer) => void): void {
    this.legacy = "unversioned";
    if (this.self.routingId.length > 0) send(this.self.routingId);
    this.identityAt = 0;
    this.step = "identity";
  }

  /** Our identity frame in the peer's framing (a final frame, no MORE). */
  private identityFrame(): Buffer {
    const id = this.self.routingId;
    if (this.legacy === "2.0") return Buffer.concat([Buffer.of(0, id.length), id]);
    if (id.length + 1 < 0xff) return Buffer.concat([Buffer.of(id.length + 1, 0), id]);
    // RFC 13: lengths from 255 up take 0xFF and 8 bytes
    const h = Buffer.alloc(10);
    h[0] = 0xff;
    h.writeUInt32BE(id.length + 1, 5);
    return Buffer.concat([h, id]);
  }

  /** The peer's identity frame at identityAt, in its framing. */
  private identity(): { peer: PeerPreamble; rest: Buffer } | undefined {
    const a = this.acc;
    let o = this.identityAt;
    let size: number;
    if (this.legacy === "2.0") {
      if (a.length < o + 2) return this.incomplete();
      const flags = a[o]!;
      if ((flags & 2) !== 0) {
        if (a.length < o + 9) return this.incomplete();
        size = a.readUInt32BE(o + 1) > 0 ? Infinity : a.readUInt32BE(o + 5);
        o += 9;
      } else {
        size = a[o + 1]!;
        o += 2;
      }
    } else {
      let n = a[o]!;
      o += 1;
      if (n === 0xff) {
        if (a.length < o + 8) return this.incomplete();
        n = a.readUInt32BE(o) > 0 ? Infinity : a.readUInt32BE(o + 4);
        o += 8;
      }
      if (n === 0) throw protocolError(ERR_ZMTP_UNSPECIFIED, "ZMTP 1.0 identity frame of length 0");
      if (a.length < o + 1) return this.incomplete();
      o += 1; // flags
      size = n - 1;
    }
    if (size > MAX_IDENTITY) throw protocolError(ERR_ZMTP_INVALID_METADATA, `peer identity of ${size} bytes exceeds ${MAX_IDENTITY}`);
    if (a.length < o + size) return this.incomplete();
    const legacy: LegacyPeer = { revision: this.legacy!, identity: Buffer.from(a.subarray(o, o + size)) };
    this.acc = EMPTY; // `rest` is a view: the connection keeps only what it needs
    if (this.peerType !== undefined) legacy.socketType = this.peerType;
    return {
      peer: { mechanism: "NULL", asServer: false, subscriptionCommands: false, legacy },
      rest: a.subarray(o + size),
    };
  }

  private incomplete(): undefined {
    if (this.acc.length > MAX_PREAMBLE) throw protocolError(ERR_ZMTP_UNSPECIFIED, "no complete ZMTP greeting within its size");
    return undefined;
  }
}

/** The Codec for tcp:// and ipc://. */
export function zmtpCodec(self: CodecSelf): Codec {
  return {
    preamble: new ZmtpNegotiation(self),
    decoder: (sink: FrameSink, peer: PeerPreamble) => (isV1(peer) ? new V1Decoder(sink) : new ZmtpDecoder(sink)),
    encoder: (peer: PeerPreamble) => (isV1(peer) ? new V1Encoder() : new ZmtpEncoder()),
  };
}

function isV1(peer: PeerPreamble): boolean {
  const r = peer.legacy?.revision;
  return r === "1.0" || r === "unversioned";
}
