// omq's ZAP convenience: a function decides who may connect, and omq answers
// the ZAP requests (RFC 27) of every PLAIN, CURVE (and NULL with a zapDomain)
// server socket in the context with it. It takes the place of a ZAP handler
// socket on inproc://zeromq.zap.01 (so a Router bound there fails with
// EADDRINUSE while it is installed, and the other way round), answers each
// connection's requests on that connection's own pipe, and keeps no receive
// pending: it never keeps the process alive.
import { type Context, type InprocEntry, context as defaultContext } from "../core/context.js";
import { zmqError } from "../core/errors.js";
import type { Msg } from "../core/message.js";
import { type PeerInfo, type PipeEnd, type PipeSink, pipePair } from "../core/pipe.js";
import { z85Encode } from "../core/z85.js";
import { encodeMetadata } from "../zmtp/commands.js";
import { ZAP_ENDPOINT } from "../zmtp/mechanisms/zap.js";

/** A ZAP request, as the handler function sees it. */
export interface ZapRequest {
  /** The server socket's zapDomain ("" when unset). */
  domain: string;
  /** The client's IP address (tcp), or "" (ipc). */
  address: string;
  /** The server socket's routing id (RFC 27 "identity"; usually empty). */
  routingId: Buffer;
  mechanism: "NULL" | "PLAIN" | "CURVE";
  /** PLAIN: the client's username and password. */
  username?: string;
  password?: string;
  /** CURVE: the client's long-term public key, as 40 Z85 characters. */
  publicKey?: string;
  /** The raw credential frames (PLAIN: username, password; CURVE: the 32-byte key). */
  credentials: Buffer[];
}

/** What the function answers: true/false, or the full reply. */
export type ZapDecision =
  | boolean
  | {
      /** 200 allow (default), 300 temporary failure, 400 deny, 500 internal error. */
      status?: 200 | 300 | 400 | 500;
      statusText?: string;
      /** Readable on the peer's messages as the "User-Id" property. */
      userId?: string;
      /** More properties for the peer's messages. */
      metadata?: Record<string, string | Buffer>;
    };

export type ZapFunction = (request: ZapRequest) => ZapDecision | Promise<ZapDecision>;

/** An installed authenticator; close() frees inproc://zeromq.zap.01 again. */
export interface Authenticator {
  close(): void;
  readonly closed: boolean;
}

class FunctionHandler implements InprocEntry, Authenticator {
  readonly kind = "bound";
  private isClosed = false;
  private readonly lines = new Set<PipeEnd>();

  constructor(
    private readonly ctx: Context,
    private readonly fn: ZapFunction,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  openPipe(self: PeerInfo): PipeEnd | undefined {
    if (this.isClosed) return undefined;
    const me: PeerInfo = { socketType: "ROUTER", endpoint: `inproc://${ZAP_ENDPOINT}`, locallyInitiated: false };
    const [theirs, ours] = pipePair(me, self, true, true);
    this.lines.add(ours);
    const sink: PipeSink = {
      readActivated: () => this.serve(ours),
      writeActivated: () => {},
      terminated: () => {
        this.lines.delete(ours);
        ours.close();
      },
    };
    ours.sink = sink;
    // arm the reader's wake-up (a pipe tells a reader only once it has seen it empty)
    ours.checkRead();
    return theirs;
  }

  private serve(line: PipeEnd): void {
    let msg: Msg | undefined;
    while ((msg = line.read()) !== undefined) this.answer(line, msg);
  }

  private answer(line: PipeEnd, msg: Msg): void {
    // [delimiter, version, request id, domain, address, identity, mechanism, credentials...]
    const reply = (status: number, text: string, userId = "", metadata: Record<string, string | Buffer> = {}): void => {
      if (line.closed) return;
      line.write([
        Buffer.alloc(0),
        Buffer.from("1.0"),
        msg[2] ?? Buffer.alloc(0),
        Buffer.from(String(status)),
        Buffer.from(text),
        Buffer.from(userId),
        encodeMetadata(metadata),
      ]);
    };
    if (msg.length < 7 || msg[0]!.length !== 0 || msg[1]!.toString() !== "1.0") {
      reply(500, "Malformed ZAP request");
      return;
    }
    const mechanism = msg[6]!.toString("latin1") as ZapRequest["mechanism"];
    const credentials = msg.slice(7);
    const req: ZapRequest = {
      domain: msg[3]!.toString("utf8"),
      address: msg[4]!.toString("latin1"),
      routingId: msg[5]!,
      mechanism,
      credentials,
    };
    if (mechanism === "PLAIN" && credentials.length === 2) {
      req.username = credentials[0]!.toString("utf8");
      req.password = credentials[1]!.toString("utf8");
    }
    if (mechanism === "CURVE" && credentials.length === 1 && credentials[0]!.length === 32) req.publicKey = z85Encode(credentials[0]!);
    let decision: ZapDecision | Promise<ZapDecision>;
    try {
      decision = this.fn(req);
    } catch (err) {
      reply(500, `Internal error: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    Promise.resolve(decision).then(
      (d) => {
        if (d === true || d === false) {
          reply(d ? 200 : 400, d ? "OK" : "Denied");
          return;
        }
        const status = d?.status ?? 200;
        if (![200, 300, 400, 500].includes(status)) {
          reply(500, `Internal error: status ${status} is not 200, 300, 400 or 500`);
          return;
        }
        reply(status, d.statusText ?? (status === 200 ? "OK" : "Denied"), d.userId ?? "", d.metadata ?? {});
      },
      (err) => reply(500, `Internal error: ${(err as Error)?.message ?? String(err)}`),
    );
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const reg = this.ctx.inproc;
    if (reg.get(ZAP_ENDPOINT) === this) reg.delete(ZAP_ENDPOINT);
    for (const l of this.lines) l.close();
    this.lines.clear();
  }
}

/**
 * Answer the ZAP requests of every security server socket in `context` (the
 * default context if omitted) with `fn`. Throws EADDRINUSE when a handler is
 * already bound on inproc://zeromq.zap.01 in that context. A function that
 * throws or rejects answers 500; one that never settles leaves the handshake
 * to time out (handshakeInterval).
 */
export function setAuthenticator(fn: ZapFunction, context: Context = defaultContext): Authenticator {
  if (typeof fn !== "function") throw new TypeError("setAuthenticator needs a function");
  const reg = context.inproc;
  const existing = reg.get(ZAP_ENDPOINT);
  if (existing !== undefined && existing.openPipe !== undefined) throw zmqError("EADDRINUSE", undefined, `inproc://${ZAP_ENDPOINT}`);
  const h = new FunctionHandler(context, fn);
  reg.set(ZAP_ENDPOINT, h);
  return h;
}
