// The CURVE server (RFC 25/26), as libzmq curve_server_t: HELLO must be
// exactly 200 bytes with zero padding and a box of 64 zeros from C' to our
// long-term key S; WELCOME gives our short-term key S' and a cookie
// Box[C' + s'](t) under a key t made for this connection alone, so a cookie
// is unforgeable and useless on any other connection; INITIATE must bring that
// cookie back, a box from C' to S' holding the client's long-term key C, a
// vouch Box[C' + S](C->S') and its metadata; then ZAP (credential: C) and
// READY. With no ZAP handler every client that knows S gets in (libzmq's
// "Stonehouse"), unless zapEnforceDomain.
import { encodeMetadata, parseMetadata } from "../commands.js";
import {
  CMD_READY, ERR_ZMTP_CRYPTOGRAPHIC, ERR_ZMTP_KEY_EXCHANGE, ERR_ZMTP_MALFORMED_COMMAND_HELLO,
  ERR_ZMTP_MALFORMED_COMMAND_INITIATE, ERR_ZMTP_UNEXPECTED_COMMAND, ZmtpError, protocolError,
} from "../constants.js";
import { boxOpenAfternm, fullNonce, shortNonceBytes } from "./curve-box.js";
import { CurveTransform, type ShortNonce, readShortNonce } from "./curve-transform.js";
import type { Command, FrameTransform, Mechanism, MechanismPeer, MechanismSelf } from "./mechanism.js";
import { ownMetadata, peerFromMetadata, withZapProperties } from "./mechanism.js";
import { type PublicKey, type SecretKey, type Sodium, boxKey, boxKeyPair, frameBoxes, longTermKey, longTermPublicKey, publicKey, randomBytes } from "./sodium.js";
import { ZapExchange, type ZapContext, noZapHandler } from "./zap.js";

export interface CurveServerOptions extends MechanismSelf {
  secretKey: Uint8Array;
  zap: ZapContext;
}

const HELLO_BYTES = 194; // 200 with the command name
const INITIATE_MIN = 248; // 257 with the name: cookie 96, nonce 8, box of at least 144

function cryptoError(message: string): ZmtpError {
  return new ZmtpError("EPROTO", ERR_ZMTP_CRYPTOGRAPHIC, message);
}

export class CurveServer implements Mechanism {
  readonly name = "CURVE";
  readonly asServer = true;
  private state: "hello" | "initiate" | "zap" | "done" = "hello";
  private readonly publicKey: Uint8Array;
  private readonly secretKey: SecretKey;
  private readonly cnPublic: Uint8Array;
  private readonly cnSecret: SecretKey;
  /** The cookie key t: this connection's alone, forgotten after INITIATE. */
  private cookieKey: Uint8Array | undefined;
  private cnClient: Uint8Array | undefined;
  /** C', imported once: HELLO's shared key and INITIATE's use it */
  private cnClientKey: PublicKey | undefined;
  private key: Uint8Array | undefined;
  private peerLast: ShortNonce = { hi: 0, lo: 0 };
  private pendingPeer: MechanismPeer | undefined;
  private peerInfo: MechanismPeer | undefined;
  private t: FrameTransform | undefined;
  private readonly zap: ZapExchange;
  private wake: () => void = () => {};

  constructor(
    private readonly s: Sodium,
    private readonly o: CurveServerOptions,
  ) {
    const long = longTermKey(s, o.secretKey);
    this.publicKey = long.publicKey;
    this.secretKey = long.secretKey;
    const kp = boxKeyPair(s);
    this.cnPublic = kp.publicKey;
    this.cnSecret = kp.secretKey;
    this.zap = new ZapExchange(o.zap);
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

  setWake(wake: () => void): void {
    this.wake = wake;
  }

  start(): Command[] {
    return [];
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (this.state === "hello" && name === "HELLO") return [this.hello(data)];
    if (this.state === "initiate" && name === "INITIATE") return this.initiate(data);
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command in the CURVE handshake`);
  }

  poll(): Command[] {
    if (this.state !== "zap") return [];
    const reply = this.zap.take();
    if (reply === undefined) return [];
    this.pendingPeer = withZapProperties(this.pendingPeer!, reply.userId, reply.metadata);
    return [this.ready()];
  }

  close(): void {
    this.zap.close();
  }

  private hello(data: Buffer): Command {
    if (data.length !== HELLO_BYTES) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, `CURVE HELLO of ${data.length + 6} bytes (200 expected)`);
    if (data[0] !== 1 || data[1] !== 0) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, `CURVE HELLO version ${data[0]}.${data[1]} (1.0 expected)`);
    for (let i = 2; i < 74; i++) {
      if (data[i] !== 0) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, "CURVE HELLO padding is not zero");
    }
    const s = this.s;
    const cnClient = data.subarray(74, 106);
    const nonce = Buffer.concat([Buffer.from("CurveZMQHELLO---"), data.subarray(106, 114)]);
    // beforenm(C', s): HELLO's box and WELCOME's share it
    let helloKey: Uint8Array;
    try {
      this.cnClientKey = publicKey(Buffer.from(cnClient));
      helloKey = boxKey(s, this.cnClientKey, this.secretKey);
    } catch {
      throw cryptoError("CURVE HELLO short-term key is unusable");
    }
    const plain = boxOpenAfternm(s, data.subarray(114), nonce, helloKey);
    if (plain === undefined) throw cryptoError("CURVE HELLO does not open (the client has another server key?)");
    for (let i = 0; i < 64; i++) if (plain[i] !== 0) throw cryptoError("CURVE HELLO signature box is not 64 zeros");
    this.cnClient = Buffer.from(cnClient);
    this.peerLast = readShortNonce(data, 106);
    // cookie = Box[C' + s'](t), t made now for this connection only
    const cookieKey = randomBytes(32);
    this.cookieKey = cookieKey;
    const cookieNonce = randomBytes(16);
    const cookie = s.crypto_secretbox_easy(
      Buffer.concat([this.cnClient, this.cnSecret.raw]),
      Buffer.concat([Buffer.from("COOKIE--"), cookieNonce]),
      cookieKey,
    );
    const welcomeNonce = randomBytes(16);
    const box = s.crypto_box_easy_afternm(
      Buffer.concat([this.cnPublic, cookieNonce, cookie]),
      Buffer.concat([Buffer.from("WELCOME-"), welcomeNonce]),
      helloKey,
    );
    this.state = "initiate";
    return { name: "WELCOME", data: Buffer.concat([welcomeNonce, box]) };
  }

  private initiate(data: Buffer): Command[] {
    if (data.length < INITIATE_MIN) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_INITIATE, `CURVE INITIATE of ${data.length + 9} bytes is too short`);
    const s = this.s;
    let cookie: Uint8Array;
    try {
      cookie = s.crypto_secretbox_open_easy(data.subarray(16, 96), Buffer.concat([Buffer.from("COOKIE--"), data.subarray(0, 16)]), this.cookieKey!);
    } catch {
      throw cryptoError("CURVE INITIATE cookie does not open (not this connection's)");
    }
    // single use: the key goes, so the cookie cannot open again
    this.cookieKey = undefined;
    if (!equal(cookie.subarray(0, 32), this.cnClient!) || !equal(cookie.subarray(32, 64), this.cnSecret.raw)) {
      throw cryptoError("CURVE INITIATE cookie is not the one we gave");
    }
    const nonce = readShortNonce(data, 96);
    if (nonce.hi < this.peerLast.hi || (nonce.hi === this.peerLast.hi && nonce.lo <= this.peerLast.lo)) {
      throw cryptoError("CURVE INITIATE nonce does not follow HELLO's");
    }
    let key: Uint8Array;
    try {
      key = boxKey(s, this.cnClientKey!, this.cnSecret);
    } catch {
      throw cryptoError("CURVE client short-term key is unusable");
    }
    let plain: Uint8Array;
    try {
      plain = s.crypto_box_open_easy_afternm(data.subarray(104), Buffer.concat([Buffer.from("CurveZMQINITIATE"), data.subarray(96, 104)]), key);
    } catch {
      throw cryptoError("CURVE INITIATE box does not open");
    }
    const clientKey = Buffer.from(plain.subarray(0, 32));
    const vouchNonce = Buffer.concat([Buffer.from("VOUCH---"), plain.subarray(32, 48)]);
    let vouchKey: Uint8Array;
    try {
      vouchKey = boxKey(s, longTermPublicKey(clientKey), this.cnSecret);
    } catch {
      throw cryptoError("CURVE client long-term key is unusable");
    }
    const vouch = boxOpenAfternm(s, plain.subarray(48, 128), vouchNonce, vouchKey);
    if (vouch === undefined) throw cryptoError("CURVE INITIATE vouch does not open (a bad vouch or client key)");
    if (!equal(vouch.subarray(0, 32), this.cnClient!) || !equal(vouch.subarray(32, 64), this.publicKey)) {
      throw protocolError(ERR_ZMTP_KEY_EXCHANGE, "CURVE vouch is for another connection or server");
    }
    this.key = key;
    this.peerLast = nonce;
    this.pendingPeer = peerFromMetadata(this.o.socketType, parseMetadata(Buffer.from(plain.subarray(128))));
    // libzmq: ZAP when a domain is set or the domain is not enforced; enforced
    // with no domain, clients get in unauthenticated (Stonehouse)
    if (this.zap.domain !== "" || !this.zap.enforceDomain) {
      if (this.zap.ask("CURVE", [clientKey], this.wake)) {
        this.state = "zap";
        return [];
      }
      if (this.zap.enforceDomain) throw noZapHandler();
    }
    return [this.ready()];
  }

  /** READY: our short nonce 1 and Box[metadata](S'->C'); messages then go on from 2. */
  private ready(): Command {
    const n = 1;
    const box = this.s.crypto_box_easy_afternm(encodeMetadata(ownMetadata(this.o)), fullNonce("CurveZMQREADY---", n), this.key!);
    this.peerInfo = this.pendingPeer;
    this.t = new CurveTransform(frameBoxes(this.s), this.key!, "CurveZMQMESSAGES", "CurveZMQMESSAGEC", n + 1, this.peerLast);
    this.state = "done";
    return { name: CMD_READY, data: Buffer.concat([shortNonceBytes(n), box]) };
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
