// A growable power-of-two ring buffer: O(1) push/shift without Array.shift's
// copying, and no allocation per element once grown.
export class RingQueue<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(capacity = 16) {
    let c = 16;
    while (c < capacity) c <<= 1;
    this.buf = new Array(c);
    this.mask = c - 1;
  }

  get length(): number {
    return this.len;
  }

  push(item: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & this.mask] = item;
    this.len++;
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const item = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    return item;
  }

  peek(): T | undefined {
    return this.len === 0 ? undefined : this.buf[this.head];
  }

  /** Element i from the head (0 = oldest). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.len ? undefined : this.buf[(this.head + i) & this.mask];
  }

  /** Remove the newest element (used by conflate and by undo). */
  pop(): T | undefined {
    if (this.len === 0) return undefined;
    const idx = (this.head + this.len - 1) & this.mask;
    const item = this.buf[idx];
    this.buf[idx] = undefined;
    this.len--;
    return item;
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.len = 0;
  }

  /** Remove every element matching pred, keeping order. O(n). */
  removeWhere(pred: (item: T) => boolean): number {
    const keep: T[] = [];
    let removed = 0;
    for (let i = 0; i < this.len; i++) {
      const it = this.buf[(this.head + i) & this.mask] as T;
      if (pred(it)) removed++;
      else keep.push(it);
    }
    if (removed > 0) {
      this.clear();
      for (const it of keep) this.push(it);
    }
    return removed;
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
