// ZAP (RFC 27) from the security server's side, as libzmq's zap_client_t: a
// connection's own pipe to whatever is bound on inproc://zeromq.zap.01 in the
// socket's context (a REP or ROUTER: the application's handler, or the one
// context.setAuthenticator() installs), one request, one reply. The mechanism
// only sees ZapLine; it never knows the pipe, and the pipe never the wire.
import type { Context } from "../../core/context.js";
import { ZmqError } from "../../core/errors.js";
import type { Msg } from "../../core/message.js";
import type { PeerInfo, PipeEnd, PipeSink } from "../../core/pipe.js";
import { parseMetadata } from "../commands.js";
import {
  ERR_ZAP_BAD_REQUEST_ID, ERR_ZAP_BAD_VERSION, ERR_ZAP_INVALID_METADATA, ERR_ZAP_INVALID_STATUS_CODE,
  ERR_ZAP_MALFORMED_REPLY, ERR_ZAP_UNSPECIFIED, ZmtpError, protocolError,
} from "../constants.js";
import { Refusal } from "./mechanism.js";

export const ZAP_ENDPOINT = "zeromq.zap.01";
const VERSION = "1.0";
/** libzmq sends "1" on every connection's own pipe; so do we. */
const REQUEST_ID = "1";

/** What a security server asks its handler. */
export interface ZapRequest {
  domain: string;
  /** The peer's IP address (tcp) or "" (ipc), as libzmq. */
  address: string;
  /** Our own routing id (libzmq sends the server socket's ZMQ_ROUTING_ID). */
  routingId: Buffer;
  mechanism: "NULL" | "PLAIN" | "CURVE";
  credentials: Buffer[];
}

export interface ZapReply {
  status: 200 | 300 | 400 | 500;
  statusText: string;
  userId: Buffer;
  metadata: Map<string, Buffer>;
}

/** One connection's line to the ZAP handler. */
export interface ZapLine {
  /** Send the request; `done` runs once, later, with the reply or the error
   * that makes it unusable (ZmtpError with an ERR_ZAP_* code). */
  ask(req: ZapRequest, done: (r: ZapReply | ZmtpError) => void): void;
  close(): void;
}

/** Opens a ZapLine, or returns undefined when no handler is bound. */
export type ZapConnector = () => ZapLine | undefined;

/** The request frames libzmq sends: delimiter, version, id, domain, address,
 * routing id, mechanism, credentials. */
export function zapRequestFrames(req: ZapRequest): Msg {
  return [
    Buffer.alloc(0),
    Buffer.from(VERSION),
    Buffer.from(REQUEST_ID),
    Buffer.from(req.domain, "utf8"),
    Buffer.from(req.address, "latin1"),
    req.routingId,
    Buffer.from(req.mechanism),
    ...req.credentials,
  ];
}

/** Check a reply as libzmq's receive_and_process_zap_reply does. */
export function parseZapReply(msg: Msg): ZapReply {
  if (msg.length !== 7) throw protocolError(ERR_ZAP_MALFORMED_REPLY, `ZAP reply of ${msg.length} frames (7 expected)`);
  if (msg[0]!.length > 0) throw protocolError(ERR_ZAP_UNSPECIFIED, "ZAP reply does not start with an empty delimiter");
  if (msg[1]!.toString("latin1") !== VERSION) throw protocolError(ERR_ZAP_BAD_VERSION, "ZAP reply version is not 1.0");
  if (msg[2]!.toString("latin1") !== REQUEST_ID) throw protocolError(ERR_ZAP_BAD_REQUEST_ID, "ZAP reply has another request id");
  const code = msg[3]!.toString("latin1");
  if (!/^[2-5]00$/.test(code)) throw protocolError(ERR_ZAP_INVALID_STATUS_CODE, `ZAP status ${JSON.stringify(code)} is not 200, 300, 400 or 500`);
  let metadata: Map<string, Buffer>;
  try {
    metadata = parseMetadata(msg[6]!);
  } catch {
    throw protocolError(ERR_ZAP_INVALID_METADATA, "ZAP reply metadata is malformed");
  }
  return {
    status: Number(code) as ZapReply["status"],
    statusText: msg[4]!.toString("utf8"),
    userId: Buffer.from(msg[5]!),
    metadata,
  };
}

/** A ZapLine over a pipe to the handler socket. */
class PipeZapLine implements ZapLine, PipeSink {
  private done: ((r: ZapReply | ZmtpError) => void) | undefined;

  constructor(private readonly pipe: PipeEnd) {
    pipe.sink = this;
  }

  ask(req: ZapRequest, done: (r: ZapReply | ZmtpError) => void): void {
    this.done = done;
    // unlimited HWM (libzmq's ZAP pipe): the write cannot be refused
    if (!this.pipe.write(zapRequestFrames(req))) this.finish(protocolError(ERR_ZAP_UNSPECIFIED, "the ZAP handler is gone"));
    else this.readActivated();
  }

  readActivated(): void {
    if (this.done === undefined) return;
    const msg = this.pipe.read();
    if (msg === undefined) return;
    let r: ZapReply | ZmtpError;
    try {
      r = parseZapReply(msg);
    } catch (err) {
      r = err as ZmtpError;
    }
    this.finish(r);
  }

  writeActivated(): void {}

  terminated(): void {
    // the handler unbound or closed before answering: libzmq waits (for the
    // handshake timer); answering now is clearer and no less safe
    this.finish(new ZmtpError("EPROTO", ERR_ZAP_UNSPECIFIED, "the ZAP handler went away without answering"));
  }

  private finish(r: ZapReply | ZmtpError): void {
    const d = this.done;
    this.done = undefined;
    this.close();
    // never from inside the pipe's own call, nor the mechanism's
    if (d !== undefined) queueMicrotask(() => d(r));
  }

  close(): void {
    this.done = undefined;
    if (!this.pipe.closed) this.pipe.close();
  }
}

/** How a security server of this context reaches its ZAP handler. */
export function zapConnector(context: Context, self: PeerInfo): ZapConnector {
  return () => {
    const entry = context.inproc.get(ZAP_ENDPOINT);
    const pipe = entry?.openPipe?.(self);
    return pipe === undefined ? undefined : new PipeZapLine(pipe);
  };
}

/** A request that never got a usable handler: PLAIN without a handler, or
 * zapEnforceDomain without one (libzmq: handshake failed, EFAULT). */
export function noZapHandler(): ZmqError {
  return new ZmqError("EFAULT", "no ZAP handler is bound on inproc://zeromq.zap.01");
}

/** What a mechanism needs to ask ZAP: the line, and the request fields that
 * are not its own. */
export interface ZapContext {
  connect: ZapConnector;
  domain: string;
  /** zapEnforceDomain: no handler fails the handshake instead of letting NULL
   * and CURVE peers in unauthenticated (libzmq ZMQ_ZAP_ENFORCE_DOMAIN). */
  enforceDomain: boolean;
  address: string;
  routingId: Buffer;
}

/** One ZAP exchange inside a mechanism: ask, be woken, take the outcome. */
export class ZapExchange {
  private outcome: ZapReply | ZmtpError | undefined;
  private line: ZapLine | undefined;

  constructor(private readonly zap: ZapContext) {}

  get domain(): string {
    return this.zap.domain;
  }

  get enforceDomain(): boolean {
    return this.zap.enforceDomain;
  }

  /** Ask the handler; `wake` runs when the answer is in. false: none is bound. */
  ask(mechanism: ZapRequest["mechanism"], credentials: Buffer[], wake: () => void): boolean {
    const line = this.zap.connect();
    if (line === undefined) return false;
    this.line = line;
    const z = this.zap;
    line.ask({ domain: z.domain, address: z.address, routingId: z.routingId, mechanism, credentials }, (r) => {
      this.line = undefined;
      this.outcome = r;
      wake();
    });
    return true;
  }

  /** The handler's approval once it came (undefined while waiting). Throws an
   * unusable reply (ERR_ZAP_*) and a refusal (Refusal: 300, 400, 500). */
  take(): ZapReply | undefined {
    const r = this.outcome;
    if (r === undefined) return undefined;
    if (r instanceof Error) throw r;
    if (r.status !== 200) throw new Refusal(r.status, r.statusText);
    return r;
  }

  close(): void {
    this.line?.close();
    this.line = undefined;
  }
}
