// SubscriptionTrie (counted topics, SUB side) and MultiTrie (pipes per topic,
// XPUB side) against naive models.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PipeEnd } from "../../lib/core/pipe.js";
import { MultiTrie, SubscriptionTrie } from "../../patterns/subscription-trie.js";

const T = 5000;
const b = (s: string) => Buffer.from(s, "latin1");
// small alphabet so prefixes collide often; "" is the subscribe-to-all topic
const topic = fc.string({ unit: fc.constantFrom("a", "b", "\u0000"), maxLength: 6 });
const key = (t: Buffer) => t.toString("latin1");

describe("SubscriptionTrie", () => {
  it("counts subscriptions: two subscribes need two unsubscribes", () => {
    const t = new SubscriptionTrie();
    expect(t.add(b("ab"))).toBe(true);
    expect(t.add(b("ab"))).toBe(false);
    expect(t.match(b("abc"))).toBe(true);
    expect(t.rm(b("ab"))).toBe(false);
    expect(t.match(b("abc"))).toBe(true);
    expect(t.rm(b("ab"))).toBe(true);
    expect(t.match(b("abc"))).toBe(false);
    expect(t.rm(b("ab"))).toBe(false);
  }, T);

  it("matches by prefix; the empty topic matches everything", () => {
    const t = new SubscriptionTrie();
    t.add(b("abc"));
    expect(t.match(b("ab"))).toBe(false);
    expect(t.match(b("abcd"))).toBe(true);
    t.add(b(""));
    expect(t.match(b(""))).toBe(true);
    expect(t.match(b("zzz"))).toBe(true);
    expect(t.topics().map(key).sort()).toEqual(["", "abc"]);
  }, T);

  it("property: equals a counted model over random add/rm/match", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("add", "rm", "match"), topic), { maxLength: 80 }), (ops) => {
        const t = new SubscriptionTrie();
        const model = new Map<string, number>();
        for (const [op, s] of ops) {
          if (op === "add") {
            const n = model.get(s) ?? 0;
            expect(t.add(b(s))).toBe(n === 0);
            model.set(s, n + 1);
          } else if (op === "rm") {
            const n = model.get(s) ?? 0;
            expect(t.rm(b(s))).toBe(n === 1);
            if (n <= 1) model.delete(s);
            else model.set(s, n - 1);
          } else {
            expect(t.match(b(s))).toBe([...model.keys()].some((k) => s.startsWith(k)));
          }
        }
        expect(t.topics().map(key).sort()).toEqual([...model.keys()].sort());
      }),
      { numRuns: 300 },
    );
  }, T);
});

describe("MultiTrie", () => {
  const pipes = [0, 1, 2].map((id) => ({ id, mark: 0 }) as unknown as PipeEnd);
  let epoch = 1000;
  const matchIds = (t: MultiTrie, data: string) => {
    const out: number[] = [];
    t.match(b(data), ++epoch, (p) => out.push(p.id));
    return out.sort();
  };

  it("reports the first subscriber of a topic and the last one leaving", () => {
    const t = new MultiTrie();
    expect(t.add(b("x"), pipes[0]!)).toBe(true);
    expect(t.add(b("x"), pipes[1]!)).toBe(false);
    expect(t.add(b("x"), pipes[1]!)).toBe(false); // a pipe counts once per topic
    expect(t.rm(b("x"), pipes[1]!)).toBe("valuesRemain");
    expect(t.rm(b("x"), pipes[1]!)).toBe("notFound");
    expect(t.rm(b("x"), pipes[0]!)).toBe("lastRemoved");
    expect(t.rm(b("y"), pipes[0]!)).toBe("notFound");
  }, T);

  it("match calls each subscribed pipe once, whatever number of its topics match", () => {
    const t = new MultiTrie();
    t.add(b(""), pipes[0]!);
    t.add(b("a"), pipes[0]!);
    t.add(b("ab"), pipes[1]!);
    expect(matchIds(t, "abc")).toEqual([0, 1]);
    expect(matchIds(t, "b")).toEqual([0]);
  }, T);

  it("rmPipe reports topics nobody holds any more, or every topic of the pipe", () => {
    const t = new MultiTrie();
    t.add(b("a"), pipes[0]!);
    t.add(b("b"), pipes[0]!);
    t.add(b("b"), pipes[1]!);
    const last: string[] = [];
    t.rmPipe(pipes[0]!, (x) => last.push(key(x)));
    expect(last).toEqual(["a"]);
    t.add(b("c"), pipes[2]!);
    t.add(b("b"), pipes[2]!);
    const every: string[] = [];
    t.rmPipe(pipes[2]!, (x) => every.push(key(x)), true);
    expect(every.sort()).toEqual(["b", "c"]);
    expect(matchIds(t, "b")).toEqual([1]);
  }, T);

  it("property: equals a model of topic sets per pipe", () => {
    const op = fc.tuple(fc.constantFrom("add", "rm", "rmPipe", "match"), topic, fc.integer({ min: 0, max: 2 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const t = new MultiTrie();
        const model = new Map<number, Set<string>>([[0, new Set()], [1, new Set()], [2, new Set()]]);
        const holders = (s: string) => [...model.values()].filter((set) => set.has(s)).length;
        for (const [o, s, i] of ops) {
          const p = pipes[i]!;
          const mine = model.get(i)!;
          if (o === "add") {
            expect(t.add(b(s), p)).toBe(holders(s) === 0);
            mine.add(s);
          } else if (o === "rm") {
            const want = !mine.has(s) ? "notFound" : holders(s) === 1 ? "lastRemoved" : "valuesRemain";
            expect(t.rm(b(s), p)).toBe(want);
            mine.delete(s);
          } else if (o === "rmPipe") {
            const gone = [...mine].filter((x) => holders(x) === 1).sort();
            const reported: string[] = [];
            t.rmPipe(p, (x) => reported.push(key(x)));
            expect(reported.sort()).toEqual(gone);
            mine.clear();
          } else {
            const want = [...model.entries()].filter(([, set]) => [...set].some((k) => s.startsWith(k))).map(([id]) => id);
            expect(matchIds(t, s)).toEqual(want.sort());
          }
        }
      }),
      { numRuns: 300 },
    );
  }, T);
});
