// Workers for the cross-thread tests: each runs a function body against the
// built package (dist/), as the test's own side does, so both threads run the
// same omq. Every actor is terminated and reaped by stopAll().
import { Worker } from "node:worker_threads";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DIST = new URL("../../dist/index.js", import.meta.url).href;
/** omq in this thread, loaded before any worker starts: a worker inherits the
 * default context's registry only from a thread that had omq loaded then. */
export const omq = await import(DIST);
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "fixtures/actor.mjs");

export interface Actor {
  worker: Worker;
  /** The threadId, captured at spawn (it reads -1 after exit). */
  threadId: number;
  /** The actor's next post(). */
  next(): Promise<any>;
  send(v: unknown): void;
  /** Resolves with the exit code; errors thrown in the actor resolve as "error: message". */
  exited: Promise<number | string>;
}

const live = new Set<Worker>();

export function actor(body: string, data?: unknown): Actor {
  const worker = new Worker(FIXTURE, { workerData: { body, data } });
  live.add(worker);
  const inbox: unknown[] = [];
  const waiting: ((v: unknown) => void)[] = [];
  worker.on("message", (m) => {
    const w = waiting.shift();
    if (w !== undefined) w(m);
    else inbox.push(m);
  });
  let error: string | undefined;
  worker.on("error", (e) => (error = `error: ${e.message}`));
  const exited = new Promise<number | string>((resolve) =>
    worker.on("exit", (code) => {
      live.delete(worker);
      resolve(error ?? code);
    }),
  );
  return {
    worker,
    threadId: worker.threadId,
    next: () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((r) => waiting.push(r))),
    send: (v) => worker.postMessage(v),
    exited,
  };
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((w) => w.terminate()));
}

let n = 0;
export const uniqueName = (tag = "t"): string => `inproc://threads-${tag}-${process.pid}-${++n}`;

/** The same kind of side, run in this thread (against dist/, like the workers). */
export function mainSide(body: string, data?: unknown): Actor {
  const toTest: unknown[] = [];
  const testWaits: ((v: unknown) => void)[] = [];
  const toSide: unknown[] = [];
  const sideWaits: ((v: unknown) => void)[] = [];
  const push = (q: unknown[], w: ((v: unknown) => void)[], v: unknown) => {
    const f = w.shift();
    if (f !== undefined) f(v);
    else q.push(v);
  };
  const pop = (q: unknown[], w: ((v: unknown) => void)[]) =>
    q.length > 0 ? Promise.resolve(q.shift()) : new Promise<unknown>((r) => w.push(r));
  const exited = (async () => {
    const AsyncFunction = (async () => {}).constructor as new (...a: string[]) => (...v: unknown[]) => Promise<void>;
    const fn = new AsyncFunction("omq", "data", "post", "next", body);
    try {
      await fn(omq, data, (v: unknown) => push(toTest, testWaits, v), () => pop(toSide, sideWaits));
      return 0;
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  })();
  return {
    worker: undefined as unknown as Worker,
    threadId: 0,
    next: () => pop(toTest, testWaits),
    send: (v) => push(toSide, sideWaits, v),
    exited,
  };
}
