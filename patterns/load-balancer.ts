// Round-robin over the pipes that can take a message (libzmq lb_t).
// Invariant: pipes[0, active) are the pipes not known to be at their HWM.
import type { Msg } from "../lib/message.js";
import type { PipeEnd } from "../lib/pipe.js";

export class LoadBalancer {
  private pipes: PipeEnd[] = [];
  private active = 0;
  private current = 0;

  get size(): number {
    return this.pipes.length;
  }

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

  /** Write to the next pipe in turn. Returns the pipe used, or undefined if
   * every pipe is at its HWM (or there is none). */
  send(msg: Msg): PipeEnd | undefined {
    while (this.active > 0) {
      const p = this.pipes[this.current]!;
      if (p.write(msg)) {
        this.current++;
        if (this.current >= this.active) this.current = 0;
        return p;
      }
      this.deactivate();
    }
    return undefined;
  }

  hasOut(): boolean {
    while (this.active > 0) {
      if (this.pipes[this.current]!.checkWrite()) return true;
      this.deactivate();
    }
    return false;
  }

  private deactivate(): void {
    this.active--;
    this.swap(this.current, this.active);
    if (this.current === this.active) this.current = 0;
  }

  private swap(i: number, j: number): void {
    const a = this.pipes;
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}
