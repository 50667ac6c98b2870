// The pgm stand-in tests: unique multicast endpoints on loopback, joining a
// group, and the transport's test hooks and counters per socket.
import { randomInt } from "node:crypto";
import { type PgmFaults, type Socket, pgmDiagnostics, setPgmFaults } from "../../index.js";
import type { Packet } from "../../transports/pgm/index.js";
import { nextEvent } from "./waits.js";

/** A fresh group and port per call, so parallel runs on one machine (and other
 * tests) never share a group: 239.192.0.0/14 is organisation-local scope. */
export function mcastEndpoint(scheme: "epgm" | "pgm" = "epgm", iface = "127.0.0.1"): string {
  const g = `239.${192 + randomInt(4)}.${randomInt(256)}.${1 + randomInt(254)}`;
  return `${scheme}://${iface};${g}:${randomInt(20000, 60000)}`;
}

/** connect() and wait until the multicast socket has joined. */
export async function joined(sock: Socket, address: string): Promise<void> {
  const ev = nextEvent(sock, "connect");
  sock.connect(address);
  await ev;
}

/** The documented fault hooks (setPgmFaults). */
export function hooks(sock: Socket, h: PgmFaults | undefined): void {
  setPgmFaults(sock, h);
}

/** The documented counters (pgmDiagnostics). */
export function stats(sock: Socket): ReturnType<typeof pgmDiagnostics> {
  return pgmDiagnostics(sock);
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
