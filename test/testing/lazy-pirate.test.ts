// The Lazy Pirate example under the kit: the correct client passes with a
// nemesis of kills, pauses, cuts and partitions; a client that takes any
// reply is caught and shrunk to one fault.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Reply } from "omq";
import { PropertyFailure, type Simulation, check, faults, plan, property } from "omq/testing";
import { LazyPirateClient, serveEcho } from "../../examples/reliability/lazy-pirate.js";

/** The bug: a late reply to an earlier request (or attempt) is taken as this one's. */
class StaleReplyClient extends LazyPirateClient {
  override accepts(reply: Buffer[]): boolean {
    return reply.length === 3;
  }
}

const nemesis = plan({
  faults: [
    faults.kill("server", { restartAfter: [0, 3000] }),
    faults.pause("server", { ms: [1, 3000] }),
    faults.cut("client", "server"),
    faults.partition("client", "server", { ms: [1, 6000], oneWay: "maybe" }),
  ],
  horizon: 1000,
});
const requests = fc.array(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 5 }).map((a) => a.map((s, i) => `${i}${s}`));

function lazyPirate(Client: typeof LazyPirateClient) {
  return async (sim: Simulation, reqs: string[]) => {
    sim.node("server", async (n) => {
      const rep = n.socket(Reply);
      await rep.bind("sim://server:5555");
      await serveEcho(rep, {
        onRequest: (b: string) => {
          n.record("exec", b);
          return n.clock.sleep(50);
        },
      });
    });
    const c = sim.node("client");
    const client = new Client("sim://server:5555", { context: c.context, timeout: 1000, retries: 3 });
    const h = sim.history();
    for (const r of reqs) await h.op("client", "req", r, () => client.request(r));
    check.everyOk(h, (inv, ok) => ok.result === `re:${inv.value}`, "a reply answered another request");
    sim.sometimes("a request was executed twice", sim.trace.notes("exec").length > reqs.length);
    sim.sometimes("a request gave up", h.ops.some((o) => o.type === "info"));
  };
}

describe("Lazy Pirate under faults", () => {
  it("the client takes only the reply to its request, over many runs", async () => {
    const r = await property(lazyPirate(LazyPirateClient), { plan: nemesis, input: requests, numRuns: 300 });
    expect(r.runs).toBe(300);
    expect(r.coverage.get("a request was executed twice")).toBeGreaterThan(0);
    console.log(`Lazy Pirate, up to 5 requests, nemesis: ${r.runs} runs in ${r.ms.toFixed(0)} ms (${((r.runs / r.ms) * 1000).toFixed(0)} runs/s); reached: ${[...r.coverage].map(([k, v]) => `${k} ×${v}`).join(", ")}`);
  }, 120_000);

  it("a client that accepts a stale reply is found and shrunk to one fault", async () => {
    const err = await property(lazyPirate(StaleReplyClient), { plan: nemesis, input: requests, numRuns: 500, seed: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PropertyFailure);
    const f = err as PropertyFailure;
    console.log(f.message);
    expect(f.message).toMatch(/a reply answered another request/);
    expect(f.plan!.faults.length).toBe(1);
    expect((f.input as string[]).length).toBe(2);
    // the printed line replays exactly that case
    const again = await property(lazyPirate(StaleReplyClient), { plan: nemesis, input: requests, replay: JSON.stringify(f.replay) }).catch((e: unknown) => e);
    expect((again as PropertyFailure).plan).toEqual(f.plan);
    expect((again as PropertyFailure).input).toEqual(f.input);
  }, 120_000);
});
