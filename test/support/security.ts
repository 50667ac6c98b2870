// Security test plumbing over both libraries: a context of either, a ZAP
// handler socket (RFC 27) bound in it that records requests and answers with
// a decision function, and the first handshake event each side reports.
import { createRequire } from "node:module";
import * as omq from "../../index.js";
import type { AnySocket, Lib } from "./interop.js";

const requireCjs = createRequire(import.meta.url);
type Zmq = typeof import("zeromq");
let zmqLib: Zmq | undefined;
export function zmq(): Zmq {
  return (zmqLib ??= requireCjs("zeromq") as Zmq);
}

export function newContext(lib: Lib): unknown {
  return lib === "omq" ? new omq.Context() : new (zmq().Context)();
}

export function keyPair(lib: Lib): { publicKey: string; secretKey: string } {
  return lib === "omq" ? omq.curveKeyPair() : zmq().curveKeyPair();
}

/** What a handler was asked: the frames after the routing id. */
export type ZapFrames = Buffer[];
export type Decide = (req: ZapFrames) => { status: string; userId?: string; metadata?: Buffer };

export interface ZapHandler {
  readonly requests: ZapFrames[];
  close(): void;
}

/** A ZAP handler ROUTER of `lib` on inproc://zeromq.zap.01 in `context`. */
export async function zapHandler(lib: Lib, context: unknown, decide: Decide): Promise<ZapHandler> {
  const Router = lib === "omq" ? omq.Router : zmq().Router;
  const r = new Router({ context, linger: 0 } as never) as unknown as AnySocket & AsyncIterable<Buffer[]>;
  await r.bind("inproc://zeromq.zap.01");
  const requests: ZapFrames[] = [];
  void (async () => {
    try {
      for await (const [id, ...req] of r) {
        requests.push(req);
        // [delimiter, version, request id, domain, address, identity, mechanism, credentials...]
        const d = decide(req);
        await r.send([id!, Buffer.alloc(0), Buffer.from("1.0"), req[2]!, d.status, "text", d.userId ?? "", d.metadata ?? Buffer.alloc(0)]);
      }
    } catch {
      // closed
    }
  })();
  return { requests, close: () => r.close() };
}

export const HANDSHAKE_EVENTS = ["handshake:error:protocol", "handshake:error:auth", "handshake:error:other"] as const;

export interface SeenEvent {
  type: string;
  status: number | undefined;
  code: string | undefined;
}

/** The first handshake:error:* event of `sock`, or undefined after `ms`. */
export function firstHandshakeError(sock: AnySocket, ms: number): Promise<SeenEvent | undefined> {
  return new Promise((resolve) => {
    const fns: Array<[string, (e: never) => void]> = [];
    const done = (v: SeenEvent | undefined) => {
      clearTimeout(t);
      for (const [type, fn] of fns) sock.events.off(type, fn as never);
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), ms);
    for (const type of HANDSHAKE_EVENTS) {
      const fn = (e: { error?: { status?: number; code?: string } }) => done({ type, status: e.error?.status, code: e.error?.code });
      fns.push([type, fn as never]);
      sock.events.on(type, fn as never);
    }
  });
}
