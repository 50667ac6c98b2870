// The HTTP/1.1 upgrade to WebSocket (RFC 6455 §4) with ZWS 2.0's
// subprotocols (RFC 45). Done here rather than by the ws package: its server
// refuses libzmq's offer `ZWS2.0/NULL,ZWS2.0` ('/' is not an HTTP token
// character) and its client cannot offer it (shared/notes/transports.md §3.4).
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { ZmqError } from "../../lib/core/errors.js";
import type { OptionValues } from "../../lib/core/options.js";
import { WS_GUID, ZWS_BARE, zwsProtocol } from "../../lib/zws/constants.js";

/** The most a server's 101 response may take (they are ~150 bytes). */
const MAX_RESPONSE = 16 * 1024;

export function acceptKey(key: string): string {
  return createHash("sha1").update(key + WS_GUID).digest("base64");
}

/** The mechanism name the socket's security options choose (ZMTP spelling). */
export function mechanismName(o: OptionValues): string {
  return o.mechanism === "plain" ? "PLAIN" : o.mechanism === "curve" ? "CURVE" : "NULL";
}

/** The bare ZWS2.0 has no handshake, so no authentication: only a NULL
 * socket without a ZAP domain may speak it (as libzmq). */
function bareAllowed(o: OptionValues): boolean {
  return o.mechanism === "null" && (o.zapDomain ?? "") === "";
}

/** What a client offers, in order: libzmq's `ZWS2.0/<MECH>` (and `ZWS2.0`
 * after it for NULL), or `ZWS2.0` alone with wsNoMechanism (a browser's only
 * choice, and what a jszmq server understands). */
export function offeredProtocols(o: OptionValues): string[] {
  const m = mechanismName(o);
  if (o.wsNoMechanism === true && bareAllowed(o)) return [ZWS_BARE];
  return bareAllowed(o) ? [zwsProtocol(m), ZWS_BARE] : [zwsProtocol(m)];
}

/** The server's pick among the client's offers: our mechanism's subprotocol
 * wherever it is listed, else the bare one when allowed (first with
 * wsNoMechanism); undefined: refuse. */
export function chooseProtocol(offered: readonly string[], o: OptionValues): string | undefined {
  const bare = offered.includes(ZWS_BARE) && bareAllowed(o);
  // wsNoMechanism: a server prefers the bare one too
  if (bare && o.wsNoMechanism === true) return ZWS_BARE;
  const mine = zwsProtocol(mechanismName(o));
  if (offered.includes(mine)) return mine;
  return bare ? ZWS_BARE : undefined;
}

export function parseOffer(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const all = Array.isArray(header) ? header.join(",") : header;
  return all.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A refused upgrade: the status and why. */
export interface UpgradeRefusal {
  status: number;
  reason: string;
}

/** Check a request's upgrade headers (RFC 6455 §4.2.1); the key on success. */
export function checkUpgradeRequest(req: IncomingMessage): { key: string } | UpgradeRefusal {
  if (req.method !== "GET") return { status: 405, reason: "WebSocket upgrade must be a GET" };
  if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") return { status: 400, reason: "Upgrade is not websocket" };
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(String(req.headers.connection ?? ""))) return { status: 400, reason: "Connection is not upgrade" };
  if (req.headers["sec-websocket-version"] !== "13") return { status: 426, reason: "unsupported WebSocket version (13 only)" };
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400, reason: "bad Sec-WebSocket-Key" };
  return { key };
}

export function switchingProtocols(key: string, protocol: string): string {
  return (
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`
  );
}

export function refusalResponse(r: UpgradeRefusal): string {
  const body = `${r.reason}\n`;
  const extra = r.status === 426 ? "Sec-WebSocket-Version: 13\r\n" : "";
  return (
    `HTTP/1.1 ${r.status} ${statusText(r.status)}\r\nConnection: close\r\n${extra}Content-Type: text/plain\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function statusText(status: number): string {
  return status === 400 ? "Bad Request" : status === 404 ? "Not Found" : status === 405 ? "Method Not Allowed" : status === 426 ? "Upgrade Required" : "Error";
}

/** A client's upgrade request; keep the key to check the answer. */
export function upgradeRequest(hostHeader: string, path: string, offers: readonly string[]): { request: string; key: string } {
  const key = randomBytes(16).toString("base64");
  const request =
    `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${offers.join(", ")}\r\n\r\n`;
  return { request, key };
}

/**
 * Reads a server's answer to upgradeRequest from the bytes it sends.
 * feed() returns undefined until the header is complete, then the agreed
 * subprotocol and the bytes after the header; it throws ZmqError
 * (ECONNREFUSED: refused; EPROTO: not a valid upgrade).
 */
export class UpgradeResponse {
  private acc: Buffer = Buffer.alloc(0);

  constructor(
    private readonly key: string,
    private readonly offers: readonly string[],
  ) {}

  feed(chunk: Buffer): { protocol: string; head: Buffer } | undefined {
    this.acc = this.acc.length === 0 ? chunk : Buffer.concat([this.acc, chunk]);
    const end = this.acc.indexOf("\r\n\r\n");
    if (end < 0) {
      if (this.acc.length > MAX_RESPONSE) throw new ZmqError("EPROTO", "WebSocket upgrade: response header too large");
      return undefined;
    }
    const lines = this.acc.toString("latin1", 0, end).split("\r\n");
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? "");
    if (status === null) throw new ZmqError("EPROTO", `WebSocket upgrade: not an HTTP/1.1 response: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
    if (status[1] !== "101") throw new ZmqError("ECONNREFUSED", `WebSocket upgrade refused: ${lines[0]!.slice(9, 120)}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if ((headers.get("upgrade") ?? "").toLowerCase() !== "websocket") throw new ZmqError("EPROTO", "WebSocket upgrade: no Upgrade: websocket");
    if (headers.get("sec-websocket-accept") !== acceptKey(this.key)) throw new ZmqError("EPROTO", "WebSocket upgrade: wrong Sec-WebSocket-Accept");
    const protocol = headers.get("sec-websocket-protocol");
    if (protocol === undefined || !this.offers.includes(protocol)) {
      throw new ZmqError("EPROTO", `WebSocket upgrade: the server chose ${protocol === undefined ? "no subprotocol" : JSON.stringify(protocol)}, not one offered`);
    }
    return { protocol, head: this.acc.subarray(end + 4) };
  }
}
