// REP (RFC 28): ROUTER plus envelope handling. Receives strip everything up to
// and including the empty delimiter; the reply goes back with that envelope.
import { withMeta } from "../lib/core/message.js";
import type { Msg } from "../lib/core/message.js";
import type { SendResult } from "../lib/core/pattern.js";
import { RouterPattern } from "./router.js";
import { efsm } from "./util.js";

export class RepPattern extends RouterPattern {
  private envelope: Msg | undefined;
  private stash: Msg | undefined;

  checkReceive(): void {
    if (this.envelope !== undefined) efsm();
  }
  checkSend(): void {
    if (this.envelope === undefined) efsm();
  }

  override receive(): Msg | undefined {
    if (this.envelope !== undefined) efsm();
    const m = this.stash ?? this.nextRequest();
    this.stash = undefined;
    if (m === undefined) return undefined;
    let i = 1;
    while (m[i]!.length !== 0) i++;
    this.envelope = m.slice(0, i + 1);
    return withMeta(m.slice(i + 1), m);
  }

  override send(msg: Msg): SendResult {
    const env = this.envelope;
    if (env === undefined) efsm();
    this.envelope = undefined;
    // a reply to a peer that went away is dropped (a REP never blocks)
    super.send(env.concat(msg));
    return "sent";
  }

  override hasIn(): boolean {
    if (this.envelope !== undefined) return false;
    this.stash ??= this.nextRequest();
    return this.stash !== undefined;
  }
  override hasOut(): boolean {
    return this.envelope !== undefined;
  }

  /** Next request with a delimiter and a body after it (libzmq rolls back
   * anything else); m[0] is the routing id. */
  private nextRequest(): Msg | undefined {
    for (;;) {
      const m = super.receive();
      if (m === undefined) return undefined;
      for (let k = 1; k < m.length - 1; k++) if (m[k]!.length === 0) return m;
    }
  }
}
