// A property across two threads: random interleavings of connects, multipart
// sends and closes in a worker, and of receives and pauses in the main
// thread, never lose or duplicate a message of a pipe that stays up, never
// reorder one socket's messages, and never deliver part of a multipart message.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { actor, omq, stopAll, uniqueName } from "./actors.js";

afterAll(stopAll);

type WorkerOp = { op: "connect" } | { op: "send"; sock: number; parts: number } | { op: "close"; sock: number } | { op: "yield"; turns: number };
type MainOp = { op: "receive"; n: number } | { op: "pause"; turns: number };

const workerOps = fc.array(
  fc.oneof(
    { weight: 1, arbitrary: fc.constant<WorkerOp>({ op: "connect" }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant("send" as const), sock: fc.nat(3), parts: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), sock: fc.nat(3) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("yield" as const), turns: fc.integer({ min: 1, max: 3 }) }) },
  ),
  { minLength: 1, maxLength: 60 },
);
const mainOps = fc.array(
  fc.oneof(fc.record({ op: fc.constant("receive" as const), n: fc.integer({ min: 1, max: 10 }) }), fc.record({ op: fc.constant("pause" as const), turns: fc.integer({ min: 1, max: 3 }) })),
  { maxLength: 20 },
);

// the worker's side: sockets 0..3 (a send or close to one not open is skipped)
const WORKER = `
  const socks = [];
  const sent = [];
  const open = [];
  const turn = () => new Promise((r) => setImmediate(r));
  for (const o of data.ops) {
    if (o.op === "connect") {
      if (socks.length >= 4) continue;
      const s = new omq.Push({ linger: -1, sendHighWaterMark: data.hwm });
      s.connect(data.addr);
      socks.push(s); sent.push(0); open.push(true);
    } else if (o.op === "send") {
      const k = o.sock;
      if (!open[k]) continue;
      const parts = [String(k), String(sent[k]), String(o.parts)];
      for (let i = 3; i < o.parts + 2; i++) parts.push("x".repeat(i * 7));
      await socks[k].send(parts.slice(0, Math.max(3, o.parts + 2)));
      sent[k]++;
    } else if (o.op === "close") {
      if (!open[o.sock]) continue;
      socks[o.sock].close(); open[o.sock] = false;
    } else for (let i = 0; i < o.turns; i++) await turn();
  }
  post({ sent, open });
  await next();
  for (let k = 0; k < socks.length; k++) if (open[k]) socks[k].close();
`;

describe("interleavings across two threads", () => {
  it("never lose or duplicate a message of a pipe that stays up, never reorder, never split a multipart", async () => {
    await fc.assert(
      fc.asyncProperty(workerOps, mainOps, fc.constantFrom(1, 2, 1000), async (ops, mine, hwm) => {
        const addr = uniqueName("interleave");
        const pull = new omq.Pull({ receiveHighWaterMark: hwm });
        await pull.bind(addr);
        const w = actor(WORKER, { ops, addr, hwm });
        const got = new Map<number, number[]>();
        const take = (m: Buffer[]) => {
          const [k, seq, parts] = m.map(String);
          // a message arrives whole: it declares its frame count
          expect(m.length).toBe(Math.max(3, Number(parts) + 2));
          const l = got.get(Number(k)) ?? [];
          l.push(Number(seq));
          got.set(Number(k), l);
        };
        try {
          // the main thread's own interleaving while the worker runs (short
          // receive timeouts: a receive never outlives this phase)
          const done = w.next();
          let finished = false;
          done.then(() => (finished = true));
          pull.receiveTimeout = 20;
          for (const o of mine) {
            if (finished) break;
            if (o.op === "pause") for (let i = 0; i < o.turns; i++) await new Promise((r) => setImmediate(r));
            else
              for (let i = 0; i < o.n && !finished; i++) {
                try {
                  take(await pull.receive());
                } catch (e) {
                  expect((e as { code: string }).code).toBe("EAGAIN");
                }
              }
          }
          const { sent, open } = (await done) as { sent: number[]; open: boolean[] };
          pull.receiveTimeout = 5000;
          // everything of the sockets still open must come, once each, in order
          const want = sent.reduce((a, n, k) => a + (open[k] ? n : 0), 0);
          const have = () => [...got].reduce((a, [k, l]) => a + (open[k] ? l.length : 0), 0);
          while (have() < want) take(await pull.receive());
          // and nothing more (a duplicate) within a moment; closed sockets' messages (linger -1: all sent) too
          pull.receiveTimeout = 100;
          for (;;) {
            try {
              take(await pull.receive());
            } catch (e) {
              expect((e as { code: string }).code).toBe("EAGAIN");
              break;
            }
          }
          for (let k = 0; k < sent.length; k++) {
            const l = got.get(k) ?? [];
            expect(l).toEqual(Array.from({ length: sent[k]! }, (_, i) => i));
          }
          for (const k of got.keys()) expect(k).toBeLessThan(sent.length);
          w.send("done");
          expect(await w.exited).toBe(0);
        } finally {
          pull.close();
          await w.worker.terminate();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
