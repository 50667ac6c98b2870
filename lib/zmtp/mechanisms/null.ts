// ZMTP NULL security (RFC 23 §"The NULL Security Mechanism"): each side sends READY with
// its metadata right after the greeting, without waiting for the other's (no deadlock),
// and the handshake is done once both READYs have crossed. With a ZAP domain set, libzmq
// asks the ZAP handler first (mechanism "NULL", no credentials) and sends READY only once
// it approves; a refusal sends ERROR instead.
import type { Command, Mechanism, MechanismPeer, MechanismSelf } from "./mechanism.js";
import { ownMetadata, peerErrorToThrow, peerFromMetadata, withZapProperties } from "./mechanism.js";
import { parseErrorReason, parseMetadata, readyCommand } from "../commands.js";
import { CMD_ERROR, CMD_READY, ERR_ZMTP_UNEXPECTED_COMMAND, protocolError } from "../constants.js";
import { ZmqError } from "../../core/errors.js";
import { ZapExchange, type ZapContext, noZapHandler } from "./zap.js";

export interface NullMechanismOptions extends MechanismSelf {
  /** Set when zapDomain is: the connection goes through ZAP. */
  zap?: ZapContext;
}

export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  private readonly options: NullMechanismOptions;
  private started = false;
  private sentReady = false;
  private peerReady: MechanismPeer | undefined;
  private approved: { userId: Buffer; metadata: Map<string, Buffer> } | undefined;
  private readonly zap: ZapExchange | undefined;
  private asking = false;
  private wake: () => void = () => {};

  constructor(options: NullMechanismOptions) {
    this.options = options;
    if (options.zap !== undefined) this.zap = new ZapExchange(options.zap);
  }

  get authenticates(): boolean {
    return this.zap !== undefined;
  }

  get done(): boolean {
    return this.sentReady && this.peerReady !== undefined;
  }

  get peer(): MechanismPeer | undefined {
    const p = this.peerReady;
    if (p === undefined || this.approved === undefined) return p;
    return withZapProperties(p, this.approved.userId, this.approved.metadata);
  }

  setWake(wake: () => void): void {
    this.wake = wake;
  }

  start(): Command[] {
    if (this.started) throw new ZmqError("EFSM", "NULL mechanism already started");
    this.started = true;
    if (this.zap !== undefined) {
      if (this.zap.ask("NULL", [], this.wake)) {
        this.asking = true;
        return [];
      }
      if (this.zap.enforceDomain) throw noZapHandler();
    }
    return [this.ready()];
  }

  poll(): Command[] {
    if (!this.asking) return [];
    const reply = this.zap!.take();
    if (reply === undefined) return [];
    this.asking = false;
    this.approved = { userId: reply.userId, metadata: reply.metadata };
    return [this.ready()];
  }

  close(): void {
    this.zap?.close();
  }

  private ready(): Command {
    this.sentReady = true;
    return readyCommand(ownMetadata(this.options));
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (this.peerReady !== undefined) {
      throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command after the NULL handshake's READY`);
    }
    if (name === CMD_READY) {
      this.peerReady = peerFromMetadata(this.options.socketType, parseMetadata(data));
      return [];
    }
    if (name === CMD_ERROR) throw peerErrorToThrow(parseErrorReason(data));
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command during the NULL handshake`);
  }
}
