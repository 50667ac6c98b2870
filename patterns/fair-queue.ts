// Fair-queueing over the pipes that have messages (libzmq fq_t): one whole
// message from each active pipe in turn.
// Invariant: pipes[0, active) are the pipes not known to be empty.
import type { Msg } from "../lib/message.js";
import type { PipeEnd } from "../lib/pipe.js";

export class FairQueue {
  private pipes: PipeEnd[] = [];
  private active = 0;
  private current = 0;
  /** The pipe the last message came from. */
  last: PipeEnd | undefined;

  attach(p: PipeEnd): void {
    this.pipes.push(p);
    this.activated(p);
  }

  activated(p: PipeEnd): void {
    const i = this.pipes.indexOf(p);
    if (i < 0 || i < this.active) return;
    this.swap(i, this.active);
    this.active++;
  }

  detach(p: PipeEnd): void {
    let i = this.pipes.indexOf(p);
    if (i < 0) return;
    if (i < this.active) {
      this.active--;
      this.swap(i, this.active);
      i = this.active;
      if (this.current === this.active) this.current = 0;
    }
    this.swap(i, this.pipes.length - 1);
    this.pipes.pop();
  }

  receive(): Msg | undefined {
    while (this.active > 0) {
      const p = this.pipes[this.current]!;
      const msg = p.read();
      if (msg !== undefined) {
        this.last = p;
        this.current++;
        if (this.current >= this.active) this.current = 0;
        return msg;
      }
      this.active--;
      this.swap(this.current, this.active);
      if (this.current === this.active) this.current = 0;
    }
    return undefined;
  }

  hasIn(): boolean {
    while (this.active > 0) {
      if (this.pipes[this.current]!.checkRead()) return true;
      this.active--;
      this.swap(this.current, this.active);
      if (this.current === this.active) this.current = 0;
    }
    return false;
  }

  private swap(i: number, j: number): void {
    const a = this.pipes;
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
