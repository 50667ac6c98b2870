// The bookkeeping libzmq's lb_t and fq_t share: pipes in an array whose
// prefix [0, active) holds the pipes not known to be blocked (full for a load
// balancer, empty for a fair queue), and a cursor that rotates over that prefix.
import type { PipeEnd } from "../lib/core/pipe.js";

export abstract class ActivePipes {
  protected pipes: PipeEnd[] = [];
  protected active = 0;
  protected current = 0;

  get size(): number {
    return this.pipes.length;
  }

  attach(p: PipeEnd): void {
    this.pipes.push(p);
    this.activated(p);
  }

  /** The pipe can take part again (readable or writable). */
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

  /** Move on after a whole message went through the current pipe. */
  protected advance(): void {
    this.current++;
    if (this.current >= this.active) this.current = 0;
  }

  /** The current pipe is blocked: move it out of the active prefix. */
  protected deactivateCurrent(): void {
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
