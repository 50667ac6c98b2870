// A Jepsen-style history of operations: each one an invoke followed by ok
// (it happened, with this result), fail (it certainly did not) or info (not
// known: a timeout, a lost reply), stamped with virtual time.

export type OpType = "invoke" | "ok" | "fail" | "info";

export interface Op {
  index: number;
  type: OpType;
  process: string;
  f: string;
  value: unknown;
  /** The result (ok) or the error (fail/info). */
  result?: unknown;
  time: number;
}

export class History {
  readonly ops: Op[] = [];
  constructor(private readonly now: () => number) {}

  /** Record one operation around `run`: ok with its result; a rejection is
   * info (outcome unknown) unless `failed(err)` says it certainly did not happen. */
  async op<T>(process: string, f: string, value: unknown, run: () => Promise<T>, failed?: (err: unknown) => boolean): Promise<T | undefined> {
    this.add("invoke", process, f, value);
    try {
      const r = await run();
      this.add("ok", process, f, value, r);
      return r;
    } catch (e) {
      this.add(failed?.(e) ? "fail" : "info", process, f, value, e);
      return undefined;
    }
  }

  add(type: OpType, process: string, f: string, value: unknown, result?: unknown): void {
    const op: Op = { index: this.ops.length, type, process, f, value, time: this.now() };
    if (result !== undefined) op.result = result;
    this.ops.push(op);
  }

  /** Completed operations with their invocations: [invoke, completion]. */
  pairs(): Array<[Op, Op]> {
    const open = new Map<string, Op>();
    const out: Array<[Op, Op]> = [];
    for (const o of this.ops) {
      if (o.type === "invoke") open.set(o.process, o);
      else {
        const inv = open.get(o.process);
        if (inv !== undefined) out.push([inv, o]);
        open.delete(o.process);
      }
    }
    return out;
  }

  oks(): Op[] {
    return this.ops.filter((o) => o.type === "ok");
  }

  toString(): string {
    return this.ops.map((o) => `${o.time}ms ${o.process} ${o.type} ${o.f} ${fmt(o.value)}${o.result === undefined ? "" : " → " + fmt(o.result)}`).join("\n");
  }
}

function fmt(v: unknown): string {
  if (v instanceof Error) return `${(v as { code?: string }).code ?? v.name}`;
  if (Buffer.isBuffer(v)) return JSON.stringify(v.toString());
  if (Array.isArray(v)) return `[${v.map(fmt).join(", ")}]`;
  return JSON.stringify(v) ?? String(v);
}
