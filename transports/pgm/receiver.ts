// The SUB/XSUB side of the stand-in: a UDP socket bound to group:port (so it
// hears that group only; reuseAddr lets several receivers on one host share
// the port) that has joined the group on the given interface, plus a second
// socket bound to the interface address from which NAKs are unicast to each
// sender's source address. Each sender is tracked as its own session.
// Subscriptions cannot travel upstream over multicast: whatever the socket
// writes into the pipe is dropped, and SUB filters locally (as libzmq's pgm).
import type dgram from "node:dgram";
import { loadDgram } from "./dgram.js";
import type { Msg } from "../../lib/core/message.js";
import type { PipeEnd } from "../../lib/core/pipe.js";
import type { TransportHost } from "../../lib/core/transport.js";
import { type PgmTiming, hooksFor, timingFor } from "./hooks.js";
import { decodePacket, encodeNak } from "./packet.js";
import { RxSession, type SessionHost } from "./session.js";

/** Senders tracked at once per receiver; packets of further new sessions are ignored. */
export const MAX_SESSIONS = 256;
/** Receive buffer asked of the kernel (capped by net.core.rmem_max). */
const RCVBUF = 2 * 1024 * 1024;

export interface ReceiverStats {
  sessions: number;
  held: number;
  heldBytes: number;
  gaps: number;
  naks: number;
  delivered: number;
  droppedAtHwm: number;
  lost: number;
}

export class PgmReceiver implements SessionHost {
  private rx: dgram.Socket | undefined;
  private tx: dgram.Socket | undefined;
  private readonly sessions = new Map<string, RxSession>();
  readonly timing: PgmTiming;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private abortOpen: (() => void) | undefined;
  private readonly counts = { naks: 0, delivered: 0, droppedAtHwm: 0, lost: 0 };

  constructor(
    private readonly host: TransportHost,
    private readonly ifaceAddr: string,
    private readonly group: string,
    private readonly port: number,
    private readonly address: string,
    private readonly end: PipeEnd,
  ) {
    this.timing = timingFor(host);
    end.sink = {
      readActivated: () => this.drainPipe(),
      writeActivated: () => {},
      terminated: () => this.close(),
    };
  }

  get maxMessageSize(): number {
    return this.host.options.maxMessageSize;
  }

  /** The socket's subscriptions (and XSUB's messages) go nowhere. */
  drainPipe(): void {
    while (this.end.read() !== undefined) {
      // dropped: multicast carries nothing upstream
    }
  }

  open(): Promise<void> {
    return loadDgram().then((dgram) => new Promise<void>((resolve, reject) => {
      if (this.closed) return resolve();
      const rx = dgram.createSocket({ type: "udp4", reuseAddr: true });
      const tx = dgram.createSocket({ type: "udp4" });
      this.rx = rx;
      this.tx = tx;
      let pending = 2;
      const fail = (err: Error) => {
        if (pending < 0) return;
        pending = -1;
        this.abortOpen = undefined;
        this.close();
        reject(err);
      };
      this.abortOpen = () => {
        pending = -1;
        resolve();
      };
      const done = () => {
        if (pending < 0 || --pending > 0) return;
        this.abortOpen = undefined;
        rx.off("error", fail);
        tx.off("error", fail);
        rx.on("error", () => {});
        tx.on("error", () => {});
        if (this.closed) return resolve();
        try {
          rx.addMembership(this.group, this.ifaceAddr);
          tx.setMulticastInterface(this.ifaceAddr);
          try {
            rx.setRecvBufferSize(RCVBUF);
          } catch {
            // keep the default
          }
        } catch (e) {
          fail(e as Error);
          return;
        }
        rx.unref();
        tx.unref();
        const every = Math.max(10, Math.min(this.timing.sessionExpiry / 4, 30000));
        this.sweeper = setInterval(() => this.sweep(), every);
        this.sweeper.unref();
        pending = -1;
        resolve();
      };
      rx.once("error", fail);
      tx.once("error", fail);
      rx.on("message", (b, from) => this.onMessage(b, from));
      // bound to the group address: datagrams for other groups on this port stay out
      rx.bind(this.port, this.group, done);
      tx.bind(0, this.ifaceAddr, done);
    }));
  }

  getStats(): ReceiverStats {
    let held = 0;
    let heldBytes = 0;
    let gaps = 0;
    for (const s of this.sessions.values()) {
      held += s.held;
      heldBytes += s.heldBytes;
      gaps += s.gapCount;
    }
    return { sessions: this.sessions.size, held, heldBytes, gaps, ...this.counts };
  }

  private onMessage(b: Buffer, from: dgram.RemoteInfo): void {
    if (this.closed) return;
    const p = decodePacket(b);
    if (p === undefined || p.type === "nak") return;
    if (hooksFor(this.host)?.dropIncoming?.(p) === true) return;
    const now = performance.now();
    const s = this.sessions.get(p.session);
    if (s === undefined) {
      // join only on what is current (ODATA or SPM), never on a repair of the past
      if (p.type === "rdata" || this.sessions.size >= MAX_SESSIONS) return;
      const id = Buffer.from(p.session, "hex");
      this.sessions.set(p.session, new RxSession(this, id, from.address, from.port, p, now));
      return;
    }
    if (p.type === "spm") s.onSpm(p, now);
    else s.onData(p, now);
  }

  sendNak(s: RxSession, seqs: number[]): void {
    const tx = this.tx;
    if (tx === undefined || this.closed) return;
    const b = encodeNak(s.id, seqs);
    this.counts.naks++;
    const hooks = hooksFor(this.host);
    if (hooks?.dropOutgoing !== undefined) {
      const p = decodePacket(b);
      if (p !== undefined && hooks.dropOutgoing(p)) return;
    }
    try {
      tx.send(b, s.port, s.address, () => {});
    } catch {
      // closed under us
    }
  }

  deliver(msg: Msg): void {
    this.counts.delivered++;
    // at the receive HWM the message is dropped, as libzmq's pgm receiver does
    if (!this.end.write(msg)) this.counts.droppedAtHwm++;
  }

  reportLoss(lost: number): void {
    this.counts.lost += lost;
    this.host.emit({ type: "pgm:loss", address: this.address, lost });
  }

  restart(s: RxSession): void {
    for (const [k, v] of this.sessions) {
      if (v === s) {
        this.sessions.delete(k);
        break;
      }
    }
    s.close();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [k, s] of this.sessions) {
      if (now - s.lastHeard > this.timing.sessionExpiry) {
        this.sessions.delete(k);
        s.close();
      }
    }
  }

  /** Idempotent; nothing is left running afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const s of this.sessions.values()) s.close();
    this.sessions.clear();
    this.end.close();
    const abort = this.abortOpen;
    this.abortOpen = undefined;
    abort?.();
    for (const sock of [this.rx, this.tx]) {
      try {
        sock?.close();
      } catch {
        // already closed
      }
    }
    this.rx = this.tx = undefined;
  }
}
