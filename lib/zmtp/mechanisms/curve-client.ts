// The CURVE client (RFC 25 wire, RFC 26 CurveZMQ), as libzmq curve_client_t:
// HELLO (our short-term key C', anti-amplification padding, a box of 64
// zeros to the server's long-term key S), WELCOME (the server's short-term
// key S' and its cookie), INITIATE (the cookie, our long-term key C, the
// vouch Box[C',S](C->S'), our metadata), READY (the server's metadata). Then
// MESSAGE boxes with the key precomputed from S' and c'.
import { encodeMetadata, parseErrorReason, parseMetadata } from "../commands.js";
import {
  CMD_ERROR, CMD_READY, ERR_ZMTP_CRYPTOGRAPHIC, ERR_ZMTP_MALFORMED_COMMAND_READY,
  ERR_ZMTP_MALFORMED_COMMAND_WELCOME, ERR_ZMTP_UNEXPECTED_COMMAND, ZmtpError, protocolError,
} from "../constants.js";
import { CurveTransform, readShortNonce } from "./curve-transform.js";
import type { Command, FrameTransform, Mechanism, MechanismPeer, MechanismSelf } from "./mechanism.js";
import { ownMetadata, peerErrorToThrow, peerFromMetadata } from "./mechanism.js";
import { type PublicKey, type SecretKey, type Sodium, boxKey, boxKeyPair, frameBoxes, longTermKey, longTermPublicKey, publicKey, randomBytes } from "./sodium.js";
import { boxOpenAfternm, fullNonce, shortNonceBytes } from "./curve-box.js";

export interface CurveClientOptions extends MechanismSelf {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  serverKey: Uint8Array;
}

/** HELLO data after the name: version 1.0, 72 zero bytes, C', short nonce, box. */
const HELLO_PADDING = 72;

export class CurveClient implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = false;
  private state: "hello" | "welcome" | "ready" | "done" = "hello";
  private readonly cnPublic: Uint8Array;
  private readonly cnSecret: SecretKey;
  /** Our next short nonce: HELLO takes 1, INITIATE 2, messages go on from 3. */
  private nonce = 1;
  private key: Uint8Array | undefined;
  /** beforenm(S, c'): HELLO's box and WELCOME's share it (one X25519, not two). */
  private helloKey: Uint8Array | undefined;
  private peerInfo: MechanismPeer | undefined;
  private t: FrameTransform | undefined;

  constructor(
    private readonly s: Sodium,
    private readonly o: CurveClientOptions,
  ) {
    const kp = boxKeyPair(s);
    this.cnPublic = kp.publicKey;
    this.cnSecret = kp.secretKey;
  }

  get done(): boolean {
    return this.state === "done";
  }
  get peer(): MechanismPeer | undefined {
    return this.peerInfo;
  }
  get transform(): FrameTransform | undefined {
    return this.t;
  }

  start(): Command[] {
    const s = this.s;
    const n = this.nonce++;
    let helloKey: Uint8Array;
    try {
      helloKey = boxKey(s, longTermPublicKey(this.o.serverKey), this.cnSecret);
    } catch {
      throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "curveServerKey is not a usable public key");
    }
    this.helloKey = helloKey;
    const box = s.crypto_box_easy_afternm(new Uint8Array(64), fullNonce("CurveZMQHELLO---", n), helloKey);
    const data = Buffer.alloc(2 + HELLO_PADDING + 32 + 8 + 80);
    data[0] = 1; // CurveZMQ 1.0
    data[1] = 0;
    data.set(this.cnPublic, 2 + HELLO_PADDING);
    data.set(shortNonceBytes(n), 2 + HELLO_PADDING + 32);
    data.set(box, 2 + HELLO_PADDING + 40);
    this.state = "welcome";
    return [{ name: "HELLO", data }];
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (name === CMD_ERROR && (this.state === "welcome" || this.state === "ready")) throw peerErrorToThrow(parseErrorReason(data));
    if (this.state === "welcome" && name === "WELCOME") return [this.welcome(data)];
    if (this.state === "ready" && name === CMD_READY) {
      this.ready(data);
      return [];
    }
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command in the CURVE handshake`);
  }

  /** WELCOME: 16-byte nonce, Box[S' + cookie](S->C'); answered with INITIATE. */
  private welcome(data: Buffer): Command {
    if (data.length !== 160) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_WELCOME, `CURVE WELCOME of ${data.length} bytes (160 expected)`);
    const s = this.s;
    const nonce = Buffer.concat([Buffer.from("WELCOME-"), data.subarray(0, 16)]);
    const plain = boxOpenAfternm(s, data.subarray(16), nonce, this.helloKey!);
    if (plain === undefined) throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "CURVE WELCOME does not open (wrong server key?)");
    const cnServer = plain.subarray(0, 32);
    const cookie = plain.subarray(32, 128);
    let key: Uint8Array;
    let server: PublicKey;
    try {
      server = publicKey(cnServer);
      key = boxKey(s, server, this.cnSecret);
    } catch {
      throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "CURVE server short-term key is unusable");
    }
    this.key = key;
    // vouch = Box[C' + S](C->S'), with a random long nonce
    const vouchNonce = randomBytes(16);
    const vouchPlain = new Uint8Array(64);
    vouchPlain.set(this.cnPublic, 0);
    vouchPlain.set(this.o.serverKey, 32);
    let vouchKey: Uint8Array;
    try {
      vouchKey = boxKey(s, server, longTermKey(s, this.o.secretKey).secretKey);
    } catch {
      throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "CURVE server short-term key is unusable");
    }
    const vouch = s.crypto_box_easy_afternm(vouchPlain, Buffer.concat([Buffer.from("VOUCH---"), vouchNonce]), vouchKey);
    const metadata = encodeMetadata(ownMetadata(this.o));
    const inner = Buffer.concat([this.o.publicKey, vouchNonce, vouch, metadata]);
    const n = this.nonce++;
    const box = s.crypto_box_easy_afternm(inner, fullNonce("CurveZMQINITIATE", n), key);
    this.state = "ready";
    return { name: "INITIATE", data: Buffer.concat([cookie, shortNonceBytes(n), box]) };
  }

  /** READY: short nonce, Box[metadata](S'->C'). */
  private ready(data: Buffer): void {
    if (data.length < 8 + 16) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_READY, `CURVE READY of ${data.length} bytes is too short`);
    const nonce = Buffer.concat([Buffer.from("CurveZMQREADY---"), data.subarray(0, 8)]);
    let plain: Uint8Array;
    try {
      plain = this.s.crypto_box_open_easy_afternm(data.subarray(8), nonce, this.key!);
    } catch {
      throw new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, "CURVE READY does not open");
    }
    this.peerInfo = peerFromMetadata(this.o.socketType, parseMetadata(Buffer.from(plain)));
    this.t = new CurveTransform(frameBoxes(this.s), this.key!, "CurveZMQMESSAGEC", "CurveZMQMESSAGES", this.nonce, readShortNonce(data, 0));
    this.state = "done";
  }
}
