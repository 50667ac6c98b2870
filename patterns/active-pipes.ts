// The bookkeeping libzmq's lb_t and fq_t share: pipes in an array whose
// prefix [0, active) holds the pipes not known to be blocked (full for a load
// balancer, empty for a fair queue), and a cursor that rotates over that prefix.
// Each pipe carries its index (libzmq array_item_t), so activating, deactivating
// and removing one is O(1). A pipe can be in one inbound and one outbound array
// at once (DEALER: a FairQueue and a LoadBalancer), hence two index fields.
import type { PipeEnd } from "../lib/core/pipe.js";

export abstract class ActivePipes {
  protected pipes: PipeEnd[] = [];
  protected active = 0;
  protected current = 0;

  /** The pipe's index in this kind of array (-1: in none). */
  protected abstract indexOf(p: PipeEnd): number;
  protected abstract setIndex(p: PipeEnd, i: number): void;

  get size(): number {
    return this.pipes.length;
  }

  attach(p: PipeEnd): void {
    this.setIndex(p, this.pipes.length);
    this.pipes.push(p);
    this.activated(p);
  }

  /** The pipe can take part again (readable or writable). */
  activated(p: PipeEnd): void {
    const i = this.indexOf(p);
    // already active, or not in this array
    if (i < this.active || this.pipes[i] !== p) return;
    this.swap(i, this.active);
    this.active++;
  }

  detach(p: PipeEnd): void {
    let i = this.indexOf(p);
    if (i < 0 || this.pipes[i] !== p) return;
    if (i < this.active) {
      this.active--;
      this.swap(i, this.active);
      i = this.active;
      if (this.current === this.active) this.current = 0;
    }
    this.swap(i, this.pipes.length - 1);
    this.pipes.pop();
    this.setIndex(p, -1);
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
    if (i === j) return;
    const a = this.pipes;
    const t = a[i]!;
    const u = a[j]!;
    a[i] = u;
    this.setIndex(u, i);
    a[j] = t;
    this.setIndex(t, j);
  }
}

/** FairQueue's slot. */
export abstract class InboundPipes extends ActivePipes {
  protected indexOf(p: PipeEnd): number {
    return p.inIndex;
  }
  protected setIndex(p: PipeEnd, i: number): void {
    p.inIndex = i;
  }
}

/** LoadBalancer's slot. */
export abstract class OutboundPipes extends ActivePipes {
  protected indexOf(p: PipeEnd): number {
    return p.outIndex;
  }
  protected setIndex(p: PipeEnd, i: number): void {
    p.outIndex = i;
  }
}

// An unordered pipe list in the outbound slot (XPUB's and XSUB's peers, which
// have no LoadBalancer): O(1) add, remove (swap with the last) and membership.

export function addPipe(list: PipeEnd[], p: PipeEnd): void {
  p.outIndex = list.length;
  list.push(p);
}

/** False if p was not in the list. */
export function removePipe(list: PipeEnd[], p: PipeEnd): boolean {
  const i = p.outIndex;
  if (i < 0 || list[i] !== p) return false;
  const last = list.pop()!;
  if (last !== p) {
    list[i] = last;
    last.outIndex = i;
  }
  p.outIndex = -1;
  return true;
}

export function hasPipe(list: PipeEnd[], p: PipeEnd): boolean {
  const i = p.outIndex;
  return i >= 0 && list[i] === p;
}
