// A hand-written CurveZMQ client over RawPeer, from RFC 25/26 and libsodium
// directly (not omq's mechanism), so hostile-input tests can send any
// variation: broken padding, a bad vouch, a foreign cookie, replayed or
// reordered MESSAGE boxes, one flipped bit.
import sodium from "libsodium-wrappers-sumo";
import { RawPeer, command, frame, greeting, property } from "./raw-peer.js";
import { within } from "./waits.js";

export async function sodiumReady(): Promise<typeof sodium> {
  await sodium.ready;
  return sodium;
}

/** prefix (8 or 16 bytes of ASCII) + rest = a 24-byte nonce. */
function nonce(prefix: string, rest: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(prefix, "latin1"), rest]);
}

export function short(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
}

export interface HelloOptions {
  /** Bytes of anti-amplification padding (72 in a real HELLO). */
  padding?: number;
  /** A non-zero byte in the padding. */
  dirtyPadding?: boolean;
  /** Extra bytes after a well-formed HELLO. */
  extra?: number;
}

export interface InitiateOptions {
  /** Use this cookie instead of the one WELCOME gave. */
  cookie?: Buffer;
  /** Make the vouch for another short-term key. */
  badVouch?: boolean;
  /** Metadata bytes as sent (default: Socket-Type DEALER). */
  metadata?: Buffer;
}

/** One CURVE client connection to `address`, driven step by step. */
export class RawCurveClient {
  readonly raw: RawPeer;
  private readonly s: typeof sodium;
  readonly cn = sodium.crypto_box_keypair();
  private nonce = 1n;
  private key: Uint8Array | undefined;
  private cnServer: Uint8Array | undefined;
  /** The cookie of this connection's WELCOME. */
  cookie: Buffer | undefined;

  private constructor(
    raw: RawPeer,
    s: typeof sodium,
    private readonly serverKey: Uint8Array,
    private readonly long: { publicKey: Uint8Array; privateKey: Uint8Array },
  ) {
    this.raw = raw;
    this.s = s;
  }

  static async connect(address: string, serverKey: Uint8Array, long = sodium.crypto_box_keypair()): Promise<RawCurveClient> {
    const s = await sodiumReady();
    const raw = await RawPeer.connect(address);
    raw.write(greeting({ mechanism: "CURVE" }));
    await raw.until(() => raw.peerGreeting !== undefined || raw.closed, 5000, "the server's greeting");
    return new RawCurveClient(raw, s, serverKey, long);
  }

  hello(o: HelloOptions = {}): void {
    const n = this.nonce++;
    const box = this.s.crypto_box_easy(new Uint8Array(64), nonce("CurveZMQHELLO---", short(n)), this.serverKey, this.cn.privateKey);
    const padding = Buffer.alloc(o.padding ?? 72);
    if (o.dirtyPadding) padding[10] = 1;
    this.raw.write(command("HELLO", Buffer.concat([Buffer.of(1, 0), padding, this.cn.publicKey, short(n), box, Buffer.alloc(o.extra ?? 0)])));
  }

  /** Wait for WELCOME and open it (throws if it does not verify). */
  async welcome(): Promise<void> {
    await this.raw.until(() => this.raw.commands().some(([n]) => n === "WELCOME") || this.raw.closed, 5000, "WELCOME");
    const w = this.raw.commands().find(([n]) => n === "WELCOME");
    if (w === undefined) throw new Error("the server closed instead of sending WELCOME");
    const data = w[1];
    const plain = this.s.crypto_box_open_easy(data.subarray(16), nonce("WELCOME-", data.subarray(0, 16)), this.serverKey, this.cn.privateKey);
    this.cnServer = plain.subarray(0, 32);
    this.cookie = Buffer.from(plain.subarray(32, 128));
    this.key = this.s.crypto_box_beforenm(this.cnServer, this.cn.privateKey);
  }

  initiate(o: InitiateOptions = {}): void {
    const s = this.s;
    const vouchNonce = s.randombytes_buf(16);
    const other = s.crypto_box_keypair();
    const vouch = s.crypto_box_easy(
      Buffer.concat([o.badVouch ? other.publicKey : this.cn.publicKey, this.serverKey]),
      nonce("VOUCH---", vouchNonce),
      this.cnServer!,
      this.long.privateKey,
    );
    const metadata = o.metadata ?? property("Socket-Type", "DEALER");
    const n = this.nonce++;
    const box = s.crypto_box_easy_afternm(Buffer.concat([this.long.publicKey, vouchNonce, vouch, metadata]), nonce("CurveZMQINITIATE", short(n)), this.key!);
    this.raw.write(command("INITIATE", Buffer.concat([o.cookie ?? this.cookie!, short(n), box])));
  }

  /** Wait for the server's READY (throws if it closes instead). */
  async ready(): Promise<void> {
    await this.raw.until(() => this.raw.commands().some(([n]) => n === "READY") || this.raw.closed, 5000, "READY");
    if (!this.raw.commands().some(([n]) => n === "READY")) throw new Error("the server closed instead of sending READY");
  }

  /** The complete handshake. */
  async handshake(): Promise<void> {
    this.hello();
    await this.welcome();
    this.initiate();
    await this.ready();
  }

  /** One MESSAGE box (a data frame on the wire, as libzmq sends it) carrying
   * a frame with box flags (1 MORE, 2 COMMAND). */
  messageFrame(body: Buffer, o: { flags?: number; nonce?: bigint; flipBit?: boolean } = {}): Buffer {
    const n = o.nonce ?? this.nonce++;
    const box = Buffer.from(this.s.crypto_box_easy_afternm(Buffer.concat([Buffer.of(o.flags ?? 0), body]), nonce("CurveZMQMESSAGEC", short(n)), this.key!));
    if (o.flipBit) box[box.length - 1]! ^= 1;
    return frame(Buffer.concat([Buffer.from("\x07MESSAGE", "latin1"), short(n), box]));
  }

  get nextNonce(): bigint {
    return this.nonce;
  }

  /** Resolves once the server has closed the connection. */
  closed(ms = 5000): Promise<void> {
    return within(this.raw.untilClosed(ms), ms + 1000, "the server to close the connection");
  }

  close(): void {
    this.raw.close();
  }
}

/** A hand-written CurveZMQ server for one connection (RawPeer.wrap of an
 * accepted socket), for tests of omq's CURVE client. */
export class RawCurveServer {
  readonly raw: RawPeer;
  private readonly s: typeof sodium;
  private readonly cn = sodium.crypto_box_keypair();
  private nonce = 1n;
  private key: Uint8Array | undefined;
  private cnClient: Uint8Array | undefined;

  private constructor(
    raw: RawPeer,
    s: typeof sodium,
    private readonly long: { publicKey: Uint8Array; privateKey: Uint8Array },
  ) {
    this.raw = raw;
    this.s = s;
  }

  static async accept(raw: RawPeer, long: { publicKey: Uint8Array; privateKey: Uint8Array }): Promise<RawCurveServer> {
    const s = await sodiumReady();
    raw.write(greeting({ mechanism: "CURVE", asServer: true }));
    return new RawCurveServer(raw, s, long);
  }

  private async command(name: string): Promise<Buffer> {
    await this.raw.until(() => this.raw.commands().some(([n]) => n === name) || this.raw.closed, 5000, name);
    const c = this.raw.commands().find(([n]) => n === name);
    if (c === undefined) throw new Error(`the client closed instead of sending ${name}`);
    return c[1];
  }

  /** Read HELLO, send WELCOME (optionally with one bit of its box flipped). */
  async welcome(o: { flipBit?: boolean } = {}): Promise<void> {
    const s = this.s;
    const hello = await this.command("HELLO");
    this.cnClient = hello.subarray(74, 106);
    const cookie = Buffer.alloc(96); // this test server does not check cookies
    const wn = s.randombytes_buf(16);
    const box = Buffer.from(s.crypto_box_easy(Buffer.concat([this.cn.publicKey, cookie]), nonce("WELCOME-", wn), this.cnClient, this.long.privateKey));
    if (o.flipBit) box[5]! ^= 1;
    this.raw.write(command("WELCOME", Buffer.concat([wn, box])));
    this.key = s.crypto_box_beforenm(this.cnClient, this.cn.privateKey);
  }

  /** Read INITIATE (not checked), send READY (optionally tampered). */
  async ready(o: { flipBit?: boolean } = {}): Promise<void> {
    await this.command("INITIATE");
    const n = this.nonce++;
    const box = Buffer.from(this.s.crypto_box_easy_afternm(property("Socket-Type", "ROUTER"), nonce("CurveZMQREADY---", short(n)), this.key!));
    if (o.flipBit) box[0]! ^= 1;
    this.raw.write(command("READY", Buffer.concat([short(n), box])));
  }

  messageFrame(body: Buffer, o: { flags?: number; nonce?: bigint; flipBit?: boolean } = {}): Buffer {
    const n = o.nonce ?? this.nonce++;
    const box = Buffer.from(this.s.crypto_box_easy_afternm(Buffer.concat([Buffer.of(o.flags ?? 0), body]), nonce("CurveZMQMESSAGES", short(n)), this.key!));
    if (o.flipBit) box[box.length - 1]! ^= 1;
    return frame(Buffer.concat([Buffer.from("\x07MESSAGE", "latin1"), short(n), box]));
  }

  get nextNonce(): bigint {
    return this.nonce;
  }

  closed(ms = 5000): Promise<void> {
    return within(this.raw.untilClosed(ms), ms + 1000, "the client to close the connection");
  }
}
