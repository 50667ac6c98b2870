// ZMTP 3.x over a byte stream (RFC 23/37): the 64-byte greeting, then
// length-prefixed frames. tcp and ipc use it; other framings are other Codecs.
import type { Codec, CodecSelf, FrameSink, PeerPreamble, Preamble } from "./framing.js";
import { ZmtpDecoder } from "./decoder.js";
import { ZmtpEncoder } from "./encoder.js";
import { GreetingParser, encodeGreeting } from "./greeting.js";
import { protocolError } from "./constants.js";

class ZmtpGreeting implements Preamble {
  private readonly parser = new GreetingParser();
  constructor(private readonly self: CodecSelf) {}

  start(): Buffer {
    // the whole greeting at once: waiting for the peer's would deadlock two
    // peers that both wait (libzmq sends its signature first, then the rest)
    return encodeGreeting(this.self.mechanism, this.self.asServer);
  }

  feed(chunk: Buffer): { peer: PeerPreamble; rest: Buffer } | undefined {
    const r = this.parser.feed(chunk);
    if (r.state === "need-more") return undefined;
    if (r.state === "error") throw protocolError(r.zmtpCode, r.reason);
    const g = r.greeting;
    return {
      peer: { mechanism: g.mechanism, asServer: g.asServer, subscriptionCommands: g.minor >= 1 },
      rest: r.rest,
    };
  }
}

/** The Codec for tcp:// and ipc://. */
export function zmtpCodec(self: CodecSelf): Codec {
  return {
    preamble: new ZmtpGreeting(self),
    decoder: (sink: FrameSink) => new ZmtpDecoder(sink),
    encoder: new ZmtpEncoder(),
  };
}
