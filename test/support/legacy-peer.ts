// A ZeroMQ peer of an old revision, written from the RFCs alone: ZMTP 2.0
// (RFC 15: 12-byte greeting, identity frame, flags+size frames) and ZMTP 1.0
// (RFC 13: no greeting, an identity frame, length+flags frames). It speaks
// over any connected net.Socket (tcp or ipc), as client or server.
import { type Server, type Socket, connect, createServer } from "node:net";
import { Waitable } from "./waits.js";

export type LegacyRevision = "2.0" | "1.0";

/** ZMQ_* numbers of the RFC 15 socket types. */
export const LEGACY_TYPES = { PAIR: 0, PUB: 1, SUB: 2, REQ: 3, REP: 4, DEALER: 5, ROUTER: 6, PULL: 7, PUSH: 8 } as const;

export interface LegacyOptions {
  revision: LegacyRevision;
  /** RFC 15 socket type (ignored by RFC 13, which has none on the wire). */
  socketType: number;
  identity?: Buffer;
}

export class LegacyPeer extends Waitable {
  /** The other side's socket-type byte (2.0) and identity, once read. */
  peerType: number | undefined;
  peerIdentity: Buffer | undefined;
  /** The other side's first bytes, as sent (its greeting). */
  peerGreeting = Buffer.alloc(0);
  closed = false;
  private buf = Buffer.alloc(0);
  private greeted = false;
  private parts: Buffer[] = [];
  private readonly inbox: Buffer[][] = [];

  constructor(
    readonly socket: Socket,
    private readonly o: LegacyOptions,
  ) {
    super();
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
    const id = o.identity ?? Buffer.alloc(0);
    if (o.revision === "2.0") {
      const sig = Buffer.alloc(10);
      sig[0] = 0xff;
      sig.writeUInt32BE(id.length + 1, 5);
      sig[9] = 0x7f;
      socket.write(Buffer.concat([sig, Buffer.of(1, o.socketType), Buffer.of(0, id.length), id]));
    } else {
      socket.write(Buffer.concat([Buffer.of(id.length + 1, 0), id]));
    }
  }

  static connect(address: string, o: LegacyOptions): Promise<LegacyPeer> {
    return new Promise((resolve, reject) => {
      const s = address.startsWith("ipc://")
        ? connect({ path: address.slice(6) })
        : connect({ host: "127.0.0.1", port: Number(/:(\d+)$/.exec(address)![1]) });
      s.once("connect", () => resolve(new LegacyPeer(s, o)));
      s.once("error", reject);
    });
  }

  /** A server for one peer at `address` (tcp://127.0.0.1:0 or ipc:///path);
   * `accepted` resolves with the peer when omq connects. */
  static async listen(address: string, o: LegacyOptions): Promise<{ server: Server; address: string; accepted: Promise<LegacyPeer> }> {
    let resolve!: (p: LegacyPeer) => void;
    const accepted = new Promise<LegacyPeer>((r) => (resolve = r));
    const server = createServer((s) => resolve(new LegacyPeer(s, o)));
    if (address.startsWith("ipc://")) {
      await new Promise<void>((r) => server.listen(address.slice(6), r));
      return { server, address, accepted };
    }
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, address: `tcp://127.0.0.1:${(server.address() as { port: number }).port}`, accepted };
  }

  send(...parts: Array<Buffer | string>): void {
    const frames: Buffer[] = [];
    parts.forEach((p, i) => {
      const body = typeof p === "string" ? Buffer.from(p) : p;
      const more = i < parts.length - 1 ? 1 : 0;
      frames.push(this.header(more, body.length), body);
    });
    this.socket.write(Buffer.concat(frames));
  }

  private header(more: number, size: number): Buffer {
    if (this.o.revision === "2.0") {
      if (size < 256) return Buffer.of(more, size);
      const h = Buffer.alloc(9);
      h[0] = more | 2;
      h.writeBigUInt64BE(BigInt(size), 1);
      return h;
    }
    if (size + 1 < 255) return Buffer.of(size + 1, more);
    const h = Buffer.alloc(10);
    h[0] = 0xff;
    h.writeBigUInt64BE(BigInt(size + 1), 1);
    h[9] = more;
    return h;
  }

  /** The next whole message, within ms. */
  async receive(ms = 5000): Promise<Buffer[]> {
    await this.until(() => this.inbox.length > 0 || this.closed, ms, "a message");
    const m = this.inbox.shift();
    if (m === undefined) throw new Error("the connection closed");
    return m;
  }

  /** Messages already received (none waited for). */
  received(): Buffer[][] {
    return this.inbox.splice(0);
  }


  close(): void {
    this.socket.destroy();
  }

  private onData(c: Buffer): void {
    this.buf = Buffer.concat([this.buf, c]);
    if (!this.greeted && !this.readGreeting()) return this.wake();
    for (;;) {
      const f = this.frame();
      if (f === undefined) break;
      this.parts.push(f.body);
      if (!f.more) {
        this.inbox.push(this.parts);
        this.parts = [];
      }
    }
    this.wake();
  }

  /** The other side's greeting and identity (RFC 15 or RFC 13 as it sends them to us). */
  private readGreeting(): boolean {
    const b = this.buf;
    let id: { body: Buffer; more: boolean } | undefined;
    let used: number;
    if (this.o.revision === "2.0") {
      // signature, then whatever revision it announces (3 from omq), its socket type, its identity frame
      if (b.length < 12) return false;
      const saved = this.buf;
      this.buf = b.subarray(12);
      id = this.frame();
      if (id === undefined) {
        this.buf = saved;
        return false;
      }
      this.peerType = b[11];
      used = b.length - this.buf.length;
    } else {
      // its 10-byte signature is the header of its identity frame (RFC 15, backwards interoperability)
      const saved = this.buf;
      id = this.frame();
      if (id === undefined) {
        this.buf = saved;
        return false;
      }
      used = b.length - this.buf.length;
    }
    this.peerGreeting = Buffer.from(b.subarray(0, used));
    this.peerIdentity = Buffer.from(id.body);
    this.greeted = true;
    return true;
  }

  /** One frame off the front of buf, in our framing. */
  private frame(): { body: Buffer; more: boolean } | undefined {
    const b = this.buf;
    let size: number;
    let off: number;
    let more: boolean;
    if (this.o.revision === "2.0") {
      if (b.length < 2) return undefined;
      const flags = b[0]!;
      more = (flags & 1) !== 0;
      if (flags & 2) {
        if (b.length < 9) return undefined;
        size = Number(b.readBigUInt64BE(1));
        off = 9;
      } else {
        size = b[1]!;
        off = 2;
      }
    } else {
      if (b.length < 2) return undefined;
      let n = b[0]!;
      off = 1;
      if (n === 0xff) {
        if (b.length < 10) return undefined;
        n = Number(b.readBigUInt64BE(1));
        off = 9;
      }
      more = (b[off]! & 1) !== 0;
      off += 1;
      size = n - 1;
    }
    if (b.length < off + size) return undefined;
    const body = Buffer.from(b.subarray(off, off + size));
    this.buf = b.subarray(off + size);
    return { body, more };
  }

}
