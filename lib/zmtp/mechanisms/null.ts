// ZMTP NULL security (RFC 23 §"The NULL Security Mechanism"): each side sends READY with
// its metadata right after the greeting, without waiting for the other's (no deadlock),
// and the handshake is done once both READYs have crossed.
import type { Command, Mechanism, MechanismPeer, MechanismSelf } from "./mechanism.js";
import { ownMetadata, peerErrorToThrow, peerFromMetadata } from "./mechanism.js";
import { parseErrorReason, parseMetadata, readyCommand } from "../commands.js";
import { CMD_ERROR, CMD_READY, ERR_ZMTP_UNEXPECTED_COMMAND, protocolError } from "../constants.js";
import { ZmqError } from "../../core/errors.js";

export type NullMechanismOptions = MechanismSelf;

export class NullMechanism implements Mechanism {
  readonly name = "NULL";
  readonly asServer = false;
  private readonly options: NullMechanismOptions;
  private sentReady = false;
  private peerInfo: MechanismPeer | undefined;

  constructor(options: NullMechanismOptions) {
    this.options = options;
  }

  get done(): boolean {
    return this.sentReady && this.peerInfo !== undefined;
  }

  get peer(): MechanismPeer | undefined {
    return this.peerInfo;
  }

  start(): Command[] {
    if (this.sentReady) throw new ZmqError("EFSM", "NULL mechanism already started");
    this.sentReady = true;
    return [readyCommand(ownMetadata(this.options))];
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (this.peerInfo !== undefined) {
      throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command after the NULL handshake's READY`);
    }
    if (name === CMD_READY) {
      this.peerInfo = peerFromMetadata(this.options.socketType, parseMetadata(data));
      return [];
    }
    if (name === CMD_ERROR) throw peerErrorToThrow(parseErrorReason(data));
    throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, `unexpected ${name} command during the NULL handshake`);
  }
}
