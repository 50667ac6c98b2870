// Helpers for the pgm stand-in tests: unique multicast endpoints on loopback,
// socket bookkeeping, bounded waits.
import { createHash, randomInt } from "node:crypto";
import { afterEach } from "vitest";
import type { Event, EventType, Socket } from "../../index.js";
import { type Packet, setPgmTestHooks, pgmStats, type PgmTestHooks } from "../../transports/pgm/index.js";

/** A fresh group and port per call, so parallel runs on one machine (and other
 * tests) never share a group: 239.192.0.0/14 is organisation-local scope. */
export function mcastEndpoint(scheme: "epgm" | "pgm" = "epgm", iface = "127.0.0.1"): string {
  const g = `239.${192 + randomInt(4)}.${randomInt(256)}.${1 + randomInt(254)}`;
  return `${scheme}://${iface};${g}:${randomInt(20000, 60000)}`;
}

/** Close sockets after each test, even when it fails. */
export function useSockets(): <S extends Socket>(s: S) => S {
  let list: Socket[] = [];
  afterEach(() => {
    for (const s of list) if (!s.closed) s.close();
    list = [];
  });
  return (s) => {
    list.push(s);
    return s;
  };
}

/** The first event of `type` on `sock`, or a rejection after `ms`. */
export function nextEvent(sock: Socket, type: EventType, ms = 3000): Promise<Event> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      sock.events.off(type, on);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    const on = (e: Event) => {
      clearTimeout(t);
      sock.events.off(type, on);
      resolve(e);
    };
    sock.events.on(type, on);
  });
}

/** connect() and wait until the multicast socket has joined. */
export async function joined(sock: Socket, address: string): Promise<void> {
  const ev = nextEvent(sock, "connect");
  sock.connect(address);
  await ev;
}

type Rx = Socket & { receive(): Promise<Buffer[]> };

/** Receive exactly n messages; each receive bounded by `ms` (receiveTimeout). */
export async function receiveN(sock: Rx, n: number, ms = 5000): Promise<Buffer[][]> {
  (sock as unknown as { receiveTimeout: number }).receiveTimeout = ms;
  const out: Buffer[][] = [];
  for (let i = 0; i < n; i++) out.push(await sock.receive());
  return out;
}

/** Nothing more arrives within ms (receiveTimeout expires with EAGAIN). */
export async function expectQuiet(sock: Rx, ms: number): Promise<Buffer[] | undefined> {
  (sock as unknown as { receiveTimeout: number }).receiveTimeout = ms;
  try {
    return await sock.receive();
  } catch (e) {
    if ((e as { code?: string }).code === "EAGAIN") return undefined;
    throw e;
  }
}

export function hostOf(sock: Socket): object {
  return (sock as unknown as { _host: object })._host;
}

export function hooks(sock: Socket, h: PgmTestHooks | undefined): void {
  setPgmTestHooks(hostOf(sock), h);
}

export function stats(sock: Socket): ReturnType<typeof pgmStats> {
  return pgmStats(hostOf(sock));
}

/** Records packets seen by a hook, dropping those `drop` selects. */
export class PacketLog {
  readonly seen: Packet[] = [];
  readonly dropped: Packet[] = [];
  constructor(private readonly drop: (p: Packet, log: PacketLog) => boolean = () => false) {}
  readonly hook = (p: Packet): boolean => {
    this.seen.push(p);
    const d = this.drop(p, this);
    if (d) this.dropped.push(p);
    return d;
  };
  count(pred: (p: Packet) => boolean): number {
    return this.seen.filter(pred).length;
  }
}

export { until } from "../helpers.js";

/** A deterministic body of `n` bytes for message i. */
export function body(i: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Messages as short strings (length + sha1 per frame), for fast, readable
 * comparisons: deep equality of large Buffers is slow in expect(). */
export function digest(msgs: Buffer[][]): string[] {
  return msgs.map((m) => m.map((f) => `${f.length}:${createHash("sha1").update(f).digest("hex").slice(0, 12)}`).join("|"));
}
