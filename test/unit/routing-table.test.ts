// RoutingTable (ROUTER's id -> pipe map) and RingQueue against models.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PipeEnd } from "../../lib/core/pipe.js";
import { RingQueue } from "../../lib/core/ring-queue.js";
import { RoutingTable } from "../../patterns/routing-table.js";

const T = 5000;
const fakePipe = (n: number) => ({ n, routingId: undefined }) as unknown as PipeEnd;

describe("RoutingTable", () => {
  it("maps ids to pipes and stamps the pipe with its id", () => {
    const t = new RoutingTable(Math.random);
    const p = fakePipe(1);
    t.set(Buffer.from("A"), p);
    expect(t.get(Buffer.from("A"))).toBe(p);
    expect(p.routingId!.toString()).toBe("A");
    expect(t.has(Buffer.from("B"))).toBe(false);
    expect([...t.pipes()]).toEqual([p]);
  }, T);

  it("delete only removes the entry that still belongs to that pipe (handover keeps the newcomer)", () => {
    const t = new RoutingTable(Math.random);
    const old = fakePipe(1);
    const newcomer = fakePipe(2);
    t.set(Buffer.from("A"), old);
    t.set(Buffer.from("A"), newcomer);
    t.delete(old);
    expect(t.get(Buffer.from("A"))).toBe(newcomer);
    t.delete(newcomer);
    expect(t.size).toBe(0);
    t.delete(fakePipe(3)); // never added: no-op
  }, T);

  it("generates 5-byte ids starting with 0x00, never one in use", () => {
    const t = new RoutingTable(Math.random);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const id = t.generate();
      expect(id.length).toBe(5);
      expect(id[0]).toBe(0);
      expect(seen.has(id.toString("hex"))).toBe(false);
      seen.add(id.toString("hex"));
      t.set(id, fakePipe(i));
    }
    // an id taken by a user-chosen routingId is skipped
    const t2 = new RoutingTable(Math.random);
    const next = t2.generate();
    const following = Buffer.from(next);
    following.writeUInt32BE((next.readUInt32BE(1) + 1) >>> 0, 1);
    t2.set(following, fakePipe(0));
    expect(t2.generate().equals(following)).toBe(false);
  }, T);

  it("property: equals a Map model over random set/delete/get", () => {
    const id = fc.constantFrom("A", "B", "C", "\u0000\u0001");
    const op = fc.tuple(fc.constantFrom("set", "delete", "get"), id, fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const t = new RoutingTable(Math.random);
        const pipes = [0, 1, 2, 3].map(fakePipe);
        const model = new Map<string, PipeEnd>();
        for (const [o, k, i] of ops) {
          const p = pipes[i]!;
          if (o === "set") {
            // as the ROUTER does: a pipe is filed under one id at a time
            if (p.routingId !== undefined && model.get(p.routingId.toString("latin1")) === p) {
              model.delete(p.routingId.toString("latin1"));
              t.delete(p);
            }
            t.set(Buffer.from(k, "latin1"), p);
            model.set(k, p);
          } else if (o === "delete") {
            const own = p.routingId?.toString("latin1");
            if (own !== undefined && model.get(own) === p) model.delete(own);
            t.delete(p);
          } else {
            expect(t.get(Buffer.from(k, "latin1"))).toBe(model.get(k));
          }
          expect(t.size).toBe(model.size);
        }
      }),
      { numRuns: 300 },
    );
  }, T);
});

describe("RingQueue", () => {
  it("property: behaves as an array through growth, wrap-around, pop, clear and removeWhere", () => {
    const op = fc.oneof(
      fc.tuple(fc.constant("push" as const), fc.integer()),
      fc.tuple(fc.constantFrom("shift" as const, "pop" as const, "peek" as const, "clear" as const), fc.constant(0)),
      fc.tuple(fc.constant("removeOdd" as const), fc.constant(0)),
      fc.tuple(fc.constant("at" as const), fc.integer({ min: -1, max: 40 })),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new RingQueue<number>(1);
        const model: number[] = [];
        for (const [o, v] of ops) {
          switch (o) {
            case "push": q.push(v); model.push(v); break;
            case "shift": expect(q.shift()).toBe(model.shift()); break;
            case "pop": expect(q.pop()).toBe(model.pop()); break;
            case "peek": expect(q.peek()).toBe(model[0]); break;
            case "clear": q.clear(); model.length = 0; break;
            case "at": expect(q.at(v)).toBe(v < 0 ? undefined : model[v]); break;
            case "removeOdd": {
              const odd = model.filter((x) => x % 2 !== 0).length;
              expect(q.removeWhere((x) => x % 2 !== 0)).toBe(odd);
              model.splice(0, model.length, ...model.filter((x) => x % 2 === 0));
              break;
            }
          }
          expect(q.length).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  }, T);
});
