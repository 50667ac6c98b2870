// Differential scenarios: each is written once against the zeromq.js v6 API,
// run against zeromq.js (the oracle) and omq, and its observable outcome
// compared: the resolved value, or the error's class, code, errno and message
// (omq's message must begin with zeromq.js's; it may add detail after it).
import { createRequire } from "node:module";
import { expect } from "vitest";
import * as omq from "../../index.js";

const requireCjs = createRequire(import.meta.url);
export type Lib = typeof omq;
export const zmq = (): Lib => requireCjs("zeromq") as Lib;

export interface Outcome {
  value?: string;
  error?: { type: "TypeError" | "RangeError" | "Error"; code?: string; errno?: number; message: string };
}

/** What a scenario did: its value as a string (undefined stays undefined), or its error. */
export async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    const v = await run();
    return v === undefined ? {} : { value: String(v) };
  } catch (e) {
    const err = e as Error & { code?: string; errno?: number };
    const type = err instanceof TypeError ? "TypeError" : err instanceof RangeError ? "RangeError" : "Error";
    return { error: { type, code: err.code, errno: err.errno, message: String(err.message) } };
  }
}

/** Run the scenario on both libraries (each with its own sockets, closed after) and compare. */
export async function same(scenario: (lib: Lib, track: <S extends { close(): void }>(s: S) => S) => unknown): Promise<Outcome> {
  const results: Outcome[] = [];
  for (const lib of [zmq(), omq as Lib]) {
    const made: Array<{ close(): void }> = [];
    const track = <S extends { close(): void }>(s: S): S => {
      made.push(s);
      return s;
    };
    results.push(await outcome(() => scenario(lib, track)));
    for (const s of made) {
      try {
        s.close();
      } catch {
        // closed by the scenario
      }
    }
  }
  const [z, o] = results as [Outcome, Outcome];
  expect(o.value, "resolved value").toBe(z.value);
  expect(o.error === undefined, `omq ${o.error ? "threw" : "did not throw"}: ${JSON.stringify(o.error)}; zeromq.js: ${JSON.stringify(z.error)}`).toBe(z.error === undefined);
  if (z.error !== undefined) {
    expect({ type: o.error!.type, code: o.error!.code, errno: o.error!.errno }).toEqual({ type: z.error.type, code: z.error.code, errno: z.error.errno });
    expect(o.error!.message.startsWith(z.error.message), `omq's message ${JSON.stringify(o.error!.message)} begins with zeromq.js's ${JSON.stringify(z.error.message)}`).toBe(true);
  }
  return z;
}
