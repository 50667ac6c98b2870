// The package's entry point and its one composition root: it registers the
// transports and socket types omq ships, then exports the public API. Nothing
// under lib/ imports transports/ or patterns/; a transport loads what it needs
// from Node (pgm's node:dgram) only when first used.
import { registerSocketType } from "./lib/core/socket-type.js";
import { registerTransport } from "./lib/core/transport.js";
import { defineSocketClassOptions } from "./lib/api/socket-classes.js";
import { enableCurve } from "./lib/api/capability.js";
import { loadSodium, sodiumNow } from "./lib/zmtp/mechanisms/sodium.js";
import { SOCKET_TYPES } from "./patterns/index.js";
import { inprocTransport } from "./transports/inproc.js";
import { ipcTransport } from "./transports/ipc.js";
import { pgmTransport } from "./transports/pgm/index.js";
import { tcpTransport } from "./transports/tcp.js";
import { wsTransport } from "./transports/ws/index.js";
import { installThreads } from "./transports/threads/index.js";

for (const t of SOCKET_TYPES) registerSocketType(t);
defineSocketClassOptions();
registerTransport(inprocTransport);
registerTransport(tcpTransport);
registerTransport(ipcTransport);
registerTransport(pgmTransport);
registerTransport(wsTransport);
installThreads();
enableCurve(() => {
  if (sodiumNow() === undefined) loadSodium().catch(() => {});
});

export * from "./lib/index.js";
export { curveKeyPair } from "./lib/api/curve-keys.js";
export { busyPolling } from "./lib/api/diagnostics.js";
export { threadPipeCount as threadPipes } from "./transports/threads/thread-pipe.js";

import type { Socket } from "./lib/api/socket.js";
import { type PgmTestHooks, pgmStats, setPgmTestHooks } from "./transports/pgm/index.js";
export type { PgmTestHooks as PgmFaults, PgmTiming } from "./transports/pgm/index.js";

/** Diagnostics: counters and memory of a socket's pgm/epgm endpoints (packets
 * sent, repaired, NAKs, window bytes; README "Diagnostics"). */
export function pgmDiagnostics(socket: Socket): ReturnType<typeof pgmStats> {
  return pgmStats(socket._host);
}

/** Diagnostics: drop chosen pgm datagrams and shorten its timers on one
 * socket, to test an application's behaviour under loss (no netem needed);
 * undefined removes them. Read live for every datagram. */
export function setPgmFaults(socket: Socket, faults: PgmTestHooks | undefined): void {
  setPgmTestHooks(socket._host, faults);
}
