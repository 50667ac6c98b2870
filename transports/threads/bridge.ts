// A connect made before any bind already has its in-thread pipe (messages
// queue in it). When the bind happens in another thread, the bridge moves
// messages between that pipe's waiting end and a ThreadPipeEnd, both ways, by
// the same readiness rules a pattern follows. The in-thread pipe holds the
// connecter's SNDHWM (and RCVHWM the other way) and the thread pipe the
// binder's side, so the pair still holds SNDHWM + RCVHWM messages.
import type { PipeEnd, PipeSink } from "../../lib/core/pipe.js";
import type { ThreadPipeEnd } from "./thread-pipe.js";

export class Bridge implements PipeSink {
  constructor(
    private readonly local: PipeEnd,
    private readonly thread: ThreadPipeEnd,
  ) {
    local.sink = this;
    thread.sink = this;
    this.toThread();
    this.toLocal();
  }

  readActivated(p: PipeEnd): void {
    if (p === this.local) this.toThread();
    else this.toLocal();
  }

  writeActivated(p: PipeEnd): void {
    if (p === this.thread) this.toThread();
    else this.toLocal();
  }

  terminated(p: PipeEnd): void {
    if (p === this.local) this.thread.close();
    else this.local.close();
  }

  private toThread(): void {
    for (;;) {
      if (!this.thread.checkWrite()) return;
      const m = this.local.read();
      if (m === undefined) return;
      this.thread.write(m);
    }
  }

  private toLocal(): void {
    for (;;) {
      if (!this.local.checkWrite()) return;
      const m = this.thread.read();
      if (m === undefined) return;
      this.local.write(m);
    }
  }
}
