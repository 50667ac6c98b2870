// PUB/SUB over inproc against a model filter: random topics, random
// subscribe/unsubscribe sequences (counted: two subscribes need two
// unsubscribes), random publishes and receives. As libzmq, the PUB filters
// when it sends and the SUB filters again when the application reads, so a
// queued message is dropped if its subscription went meanwhile. inproc
// applies subscriptions synchronously, so the model is exact at every step.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Publisher, Subscriber } from "../../index.js";
import { closeAll, drain, str, uniqueInproc } from "../helpers.js";

const text = fc.string({ unit: fc.constantFrom("a", "b", "\u0000"), maxLength: 3 });
const op = fc.oneof(
  fc.record({ kind: fc.constant("sub" as const), who: fc.integer({ min: 0, max: 2 }), topic: text }),
  fc.record({ kind: fc.constant("unsub" as const), who: fc.integer({ min: 0, max: 2 }), topic: text }),
  fc.record({ kind: fc.constant("pub" as const), data: text, more: fc.boolean() }),
  fc.record({ kind: fc.constant("recv" as const), who: fc.integer({ min: 0, max: 2 }) }),
);

class ModelSub {
  counts = new Map<string, number>();
  /** Messages the PUB sent to this SUB, not read yet. */
  queued: string[][] = [];
  sub(t: string) {
    this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
  }
  unsub(t: string) {
    const n = this.counts.get(t) ?? 0;
    if (n <= 1) this.counts.delete(t);
    else this.counts.set(t, n - 1);
  }
  matches(data: string) {
    for (const t of this.counts.keys()) if (data.startsWith(t)) return true;
    return false;
  }
  /** What a read returns now: the queue filtered by today's subscriptions. */
  read(): string[][] {
    const out = this.queued.filter((m) => this.matches(m[0]!));
    this.queued = [];
    return out;
  }
}

describe("property: PUB/SUB delivery equals a model filter", () => {
  it("each subscriber gets exactly the messages its live subscriptions match, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60, size: "max" }), fc.boolean(), async (ops, subsBind) => {
        const addr = uniqueInproc("prop-ps");
        const pub = new Publisher({ sendHighWaterMark: 0 });
        const subs = [0, 1, 2].map(() => new Subscriber({ receiveHighWaterMark: 0 }));
        const models = subs.map(() => new ModelSub());
        try {
          if (subsBind) {
            // the PUB connects to each SUB (the other topology RFC 29 allows)
            for (const [i, s] of subs.entries()) await s.bind(`${addr}-${i}`);
            for (let i = 0; i < subs.length; i++) pub.connect(`${addr}-${i}`);
          } else {
            await pub.bind(addr);
            for (const s of subs) s.connect(addr);
          }
          let n = 0;
          for (const o of ops) {
            if (o.kind === "sub") {
              subs[o.who]!.subscribe(o.topic);
              models[o.who]!.sub(o.topic);
            } else if (o.kind === "unsub") {
              subs[o.who]!.unsubscribe(o.topic);
              models[o.who]!.unsub(o.topic);
            } else if (o.kind === "pub") {
              const msg = o.more ? [o.data, String(n++)] : [o.data];
              await pub.send(msg);
              for (const m of models) if (m.matches(o.data)) m.queued.push(msg);
            } else {
              expect((await drain(subs[o.who]!)).map(str)).toEqual(models[o.who]!.read());
            }
          }
          for (const [i, s] of subs.entries()) expect((await drain(s)).map(str)).toEqual(models[i]!.read());
        } finally {
          closeAll(pub, ...subs);
        }
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});
