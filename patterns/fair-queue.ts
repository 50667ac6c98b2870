// Fair-queueing over the pipes that have messages (libzmq fq_t): one whole
// message from each active pipe in turn.
// Invariant: pipes[0, active) are the pipes not known to be empty.
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd } from "../lib/core/pipe.js";
import { InboundPipes } from "./active-pipes.js";

export class FairQueue extends InboundPipes {
  /** The pipe the last message came from. */
  last: PipeEnd | undefined;

  receive(): Msg | undefined {
    while (this.active > 0) {
      const p = this.pipes[this.current]!;
      const msg = p.read();
      if (msg !== undefined) {
        this.last = p;
        this.advance();
        return msg;
      }
      this.deactivateCurrent();
    }
    return undefined;
  }

  hasIn(): boolean {
    while (this.active > 0) {
      if (this.pipes[this.current]!.checkRead()) return true;
      this.deactivateCurrent();
    }
    return false;
  }
}
