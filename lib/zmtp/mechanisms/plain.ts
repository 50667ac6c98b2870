// ZMTP PLAIN (RFC 24), as libzmq 4.3: the client sends HELLO (username,
// password), the server asks ZAP and answers WELCOME or ERROR; the client's
// INITIATE and the server's READY carry the metadata. A server with no ZAP
// handler refuses every client (handshake:error:other, EFAULT), since PLAIN
// without a handler to check the password protects nothing.
import { encodeMetadata, parseErrorReason, parseMetadata } from "../commands.js";
import {
  CMD_ERROR, CMD_READY, ERR_ZMTP_MALFORMED_COMMAND_HELLO, ERR_ZMTP_MALFORMED_COMMAND_WELCOME,
  ERR_ZMTP_UNEXPECTED_COMMAND, protocolError,
} from "../constants.js";
import type { Command, Mechanism, MechanismPeer, MechanismSelf } from "./mechanism.js";
import { Refusal, errorCommandBody, ownMetadata, peerErrorToThrow, peerFromMetadata, withZapProperties } from "./mechanism.js";
import { LIBZMQ_PLAIN_ERROR } from "../assembler.js";
import { ZapExchange, type ZapContext, noZapHandler } from "./zap.js";

const HELLO = "HELLO";
const WELCOME = "WELCOME";
const INITIATE = "INITIATE";

export interface PlainClientOptions extends MechanismSelf {
  username: Buffer;
  password: Buffer;
}

export class PlainClient implements Mechanism {
  readonly name = "PLAIN";
  readonly asServer = false;
  private state: "hello" | "welcome" | "ready" | "done" = "hello";
  private peerInfo: MechanismPeer | undefined;

  constructor(private readonly o: PlainClientOptions) {}

  get done(): boolean {
    return this.state === "done";
  }
  get peer(): MechanismPeer | undefined {
    return this.peerInfo;
  }

  start(): Command[] {
    const { username: u, password: p } = this.o;
    const data = Buffer.concat([Buffer.of(u.length), u, Buffer.of(p.length), p]);
    this.state = "welcome";
    return [{ name: HELLO, data }];
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (name === CMD_ERROR && (this.state === "welcome" || this.state === "ready")) throw peerErrorToThrow(parseErrorReason(data));
    if (this.state === "welcome" && name === WELCOME) {
      if (data.length !== 0) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_WELCOME, "PLAIN WELCOME carries data");
      this.state = "ready";
      return [{ name: INITIATE, data: encodeMetadata(ownMetadata(this.o)) }];
    }
    if (this.state === "ready" && name === CMD_READY) {
      this.peerInfo = peerFromMetadata(this.o.socketType, parseMetadata(data));
      this.state = "done";
      return [];
    }
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command in the PLAIN handshake`);
  }
}

export interface PlainServerOptions extends MechanismSelf {
  zap: ZapContext;
}

export class PlainServer implements Mechanism {
  readonly name = "PLAIN";
  readonly asServer = true;
  private state: "hello" | "zap" | "initiate" | "done" = "hello";
  private peerInfo: MechanismPeer | undefined;
  private readonly zap: ZapExchange;
  private wake: () => void = () => {};
  private userId: Buffer = Buffer.alloc(0);
  private zapMetadata = new Map<string, Buffer>();

  constructor(private readonly o: PlainServerOptions) {
    this.zap = new ZapExchange(o.zap);
  }

  get done(): boolean {
    return this.state === "done";
  }
  get peer(): MechanismPeer | undefined {
    return this.peerInfo;
  }

  setWake(wake: () => void): void {
    this.wake = wake;
  }

  start(): Command[] {
    return [];
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (this.state === "hello" && name === HELLO) {
      const { username, password } = parseHello(data);
      if (!this.zap.ask("PLAIN", [username, password], this.wake)) throw noZapHandler();
      this.state = "zap";
      return [];
    }
    if (this.state === "initiate" && name === INITIATE) {
      const peer = peerFromMetadata(this.o.socketType, parseMetadata(data));
      this.peerInfo = withZapProperties(peer, this.userId, this.zapMetadata);
      this.state = "done";
      return [{ name: CMD_READY, data: encodeMetadata(ownMetadata(this.o)) }];
    }
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command in the PLAIN handshake`);
  }

  poll(): Command[] {
    if (this.state !== "zap") return [];
    let reply;
    try {
      reply = this.zap.take();
    } catch (err) {
      // a libzmq PLAIN client reads only libzmq's own spelling of ERROR (see
      // LIBZMQ_PLAIN_ERROR); any other client reads it as a malformed command,
      // which fails its handshake all the same
      if (err instanceof Refusal && err.farewell !== undefined) err.farewell = errorCommandBody(LIBZMQ_PLAIN_ERROR, String(err.status));
      throw err;
    }
    if (reply === undefined) return [];
    this.userId = reply.userId;
    this.zapMetadata = reply.metadata;
    this.state = "initiate";
    return [{ name: WELCOME, data: Buffer.alloc(0) }];
  }

  close(): void {
    this.zap.close();
  }
}

/** HELLO: username length, username, password length, password, nothing after. */
function parseHello(data: Buffer): { username: Buffer; password: Buffer } {
  let o = 0;
  if (data.length < 1) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, "PLAIN HELLO without a username");
  const ul = data[o++]!;
  if (o + ul + 1 > data.length) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, "PLAIN HELLO username runs past the command");
  const username = Buffer.from(data.subarray(o, o + ul));
  o += ul;
  const pl = data[o++]!;
  if (o + pl !== data.length) throw protocolError(ERR_ZMTP_MALFORMED_COMMAND_HELLO, "PLAIN HELLO password length does not match the command");
  return { username, password: Buffer.from(data.subarray(o, o + pl)) };
}
