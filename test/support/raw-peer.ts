// A hand-written ZMTP peer over node:net for wire tests: it writes exactly the
// bytes a test gives it and records what comes back (libzmq test_mock_pub_sub).
// greeting/frame/command/ready build those bytes by hand, not with omq's
// encoder, so they can write anything, malformed included (zmtp.ts's
// encodeMessage/encodeCommand go through the encoder under test).
import { type Socket, connect } from "node:net";
import { Waitable } from "./waits.js";

export function greeting(o: { major?: number; minor?: number; mechanism?: string; asServer?: boolean } = {}): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = o.major ?? 3;
  g[11] = o.minor ?? 1;
  g.write(o.mechanism ?? "NULL", 12, "latin1");
  g[32] = o.asServer ? 1 : 0;
  return g;
}

export function frame(body: Buffer | string, flags = 0): Buffer {
  const b = typeof body === "string" ? Buffer.from(body, "latin1") : body;
  if (b.length <= 255) return Buffer.concat([Buffer.from([flags, b.length]), b]);
  const h = Buffer.alloc(9);
  h[0] = flags | 0x02;
  h.writeBigUInt64BE(BigInt(b.length), 1);
  return Buffer.concat([h, b]);
}

export function command(name: string, data: Buffer = Buffer.alloc(0)): Buffer {
  return frame(Buffer.concat([Buffer.from([name.length]), Buffer.from(name, "latin1"), data]), 0x04);
}

export function property(name: string, value: Buffer | string): Buffer {
  const v = typeof value === "string" ? Buffer.from(value, "latin1") : value;
  const h = Buffer.alloc(1 + name.length + 4);
  h[0] = name.length;
  h.write(name, 1, "latin1");
  h.writeUInt32BE(v.length, 1 + name.length);
  return Buffer.concat([h, v]);
}

export function ready(socketType?: string, identity?: string): Buffer {
  const props: Buffer[] = [];
  if (socketType !== undefined) props.push(property("Socket-Type", socketType));
  if (identity !== undefined) props.push(property("Identity", identity));
  return command("READY", Buffer.concat(props));
}

/** A parsed inbound frame. */
export interface RawFrame {
  flags: number;
  body: Buffer;
}

export class RawPeer extends Waitable {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  private greeted = false;
  peerGreeting: Buffer | undefined;
  readonly frames: RawFrame[] = [];
  closed = false;

  private constructor(socket: Socket) {
    super();
    this.socket = socket;
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static connect(address: string): Promise<RawPeer> {
    const m = /^tcp:\/\/(.+):(\d+)$/.exec(address);
    if (!m) throw new Error(`not a tcp address: ${address}`);
    return new Promise((resolve, reject) => {
      const s = connect({ host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) });
      s.once("connect", () => resolve(new RawPeer(s)));
      s.once("error", reject);
    });
  }

  static wrap(s: Socket): RawPeer {
    return new RawPeer(s);
  }

  write(...chunks: Buffer[]): void {
    this.socket.write(Buffer.concat(chunks));
  }

  private onData(c: Buffer): void {
    this.buf = Buffer.concat([this.buf, c]);
    if (!this.greeted) {
      if (this.buf.length < 64) return this.wake();
      this.peerGreeting = this.buf.subarray(0, 64);
      this.buf = this.buf.subarray(64);
      this.greeted = true;
    }
    for (;;) {
      if (this.buf.length < 2) break;
      const flags = this.buf[0]!;
      let size: number;
      let off: number;
      if (flags & 0x02) {
        if (this.buf.length < 9) break;
        size = Number(this.buf.readBigUInt64BE(1));
        off = 9;
      } else {
        size = this.buf[1]!;
        off = 2;
      }
      if (this.buf.length < off + size) break;
      this.frames.push({ flags, body: Buffer.from(this.buf.subarray(off, off + size)) });
      this.buf = this.buf.subarray(off + size);
    }
    this.wake();
  }



  untilClosed(ms = 5000): Promise<void> {
    return this.until(() => this.closed, ms, "the connection to close");
  }

  /** Commands received, as [name, data]. */
  commands(): Array<[string, Buffer]> {
    return this.frames
      .filter((f) => f.flags & 0x04)
      .map((f) => [f.body.toString("latin1", 1, 1 + f.body[0]!), f.body.subarray(1 + f.body[0]!)]);
  }

  messages(): Buffer[][] {
    const out: Buffer[][] = [];
    let cur: Buffer[] = [];
    for (const f of this.frames) {
      if (f.flags & 0x04) continue;
      cur.push(f.body);
      if (!(f.flags & 0x01)) {
        out.push(cur);
        cur = [];
      }
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
