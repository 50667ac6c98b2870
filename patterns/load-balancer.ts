// Round-robin over the pipes that can take a message (libzmq lb_t).
// Invariant: pipes[0, active) are the pipes not known to be at their HWM.
import type { Msg } from "../lib/core/message.js";
import type { PipeEnd } from "../lib/core/pipe.js";
import { OutboundPipes } from "./active-pipes.js";

export class LoadBalancer extends OutboundPipes {
  /** Write to the next pipe in turn. Returns the pipe used, or undefined if
   * every pipe is at its HWM (or there is none). */
  send(msg: Msg): PipeEnd | undefined {
    while (this.active > 0) {
      const p = this.pipes[this.current]!;
      if (p.write(msg)) {
        this.advance();
        return p;
      }
      this.deactivateCurrent();
    }
    return undefined;
  }

  hasOut(): boolean {
    while (this.active > 0) {
      if (this.pipes[this.current]!.checkWrite()) return true;
      this.deactivateCurrent();
    }
    return false;
  }
}
