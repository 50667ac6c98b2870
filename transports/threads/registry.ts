// The inproc names of one shared Context, readable and writable by every
// thread: a small table in a SharedArrayBuffer, changed under a lock. Binds
// and connects are rare, so the table is JSON rewritten whole; it is written
// into the half not in use and published by one atomic store, so a thread
// killed while holding the lock leaves the last whole table behind (the next
// thread breaks a lock held longer than a second).
import { ZmqError } from "../../lib/core/errors.js";

/** Who holds a name: a socket of thread `t` (omq instance `i`, binding `b`). */
export interface BoundName {
  t: number;
  i: string;
  b: number;
  /** its socket type (ZMTP spelling) and routing id (hex), at bind time */
  ty: string;
  rid?: string;
  /** its SNDHWM and RCVHWM at bind time, until its end states its own */
  snd: number;
  rcv: number;
}

/** A thread whose sockets connected to a name nobody has bound yet. */
export interface Waiter {
  t: number;
  i: string;
}

export interface NameEntry {
  bound?: BoundName;
  pending?: Waiter[];
}

export type Table = Record<string, NameEntry>;

const LOCK = 0;
const CURRENT = 1; // which half holds the table (0 or 1)
const LEN0 = 2;
const LEN1 = 3;
const HEADER = 16;
const LOCK_BREAK_MS = 1000;

export const REGISTRY_BYTES = 1024 * 1024;

export function createRegistryMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER + REGISTRY_BYTES);
}

export class SharedRegistry {
  private readonly i32: Int32Array;
  private readonly buf: Buffer;
  private readonly half: number;

  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, HEADER / 4);
    this.buf = Buffer.from(sab);
    this.half = Math.floor((sab.byteLength - HEADER) / 2);
  }

  /** Run `fn` on the table under the lock; a changed table is published if it returns `true` in `changed`. */
  update<T>(fn: (table: Table) => { result: T; changed: boolean }): T {
    this.lock();
    try {
      const table = this.read();
      const { result, changed } = fn(table);
      if (changed) this.write(table);
      return result;
    } finally {
      Atomics.store(this.i32, LOCK, 0);
      Atomics.notify(this.i32, LOCK, 1);
    }
  }

  private lock(): void {
    const i32 = this.i32;
    let since = 0;
    for (;;) {
      if (Atomics.compareExchange(i32, LOCK, 0, 1) === 0) return;
      // held for microseconds by a live thread; a long hold means its thread died inside
      if (since === 0) since = Date.now();
      else if (Date.now() - since > LOCK_BREAK_MS) {
        Atomics.store(i32, LOCK, 0);
        continue;
      }
      Atomics.wait(i32, LOCK, 1, 1);
    }
  }

  private read(): Table {
    const cur = Atomics.load(this.i32, CURRENT);
    const len = Atomics.load(this.i32, cur === 0 ? LEN0 : LEN1);
    if (len === 0) return {};
    const at = HEADER + cur * this.half;
    return JSON.parse(this.buf.toString("utf8", at, at + len)) as Table;
  }

  private write(table: Table): void {
    for (const k of Object.keys(table)) {
      const e = table[k]!;
      if (e.bound === undefined && (e.pending === undefined || e.pending.length === 0)) delete table[k];
    }
    const text = Buffer.from(JSON.stringify(table), "utf8");
    if (text.length > this.half) throw new ZmqError("ENOMEM", "too many inproc names shared between threads");
    const next = 1 - Atomics.load(this.i32, CURRENT);
    text.copy(this.buf, HEADER + next * this.half);
    Atomics.store(this.i32, next === 0 ? LEN0 : LEN1, text.length);
    Atomics.store(this.i32, CURRENT, next);
  }
}
