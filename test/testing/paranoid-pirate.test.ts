// The Paranoid Pirate example under the kit: a queue that hands an expired
// worker's requests to the next worker answers every request whatever
// happens to one of its two workers; a queue that forgets them is caught.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Router } from "omq";
import { PropertyFailure, type Simulation, check, faults, plan, property } from "omq/testing";
import { LazyPirateClient } from "../../examples/reliability/lazy-pirate.js";
import { ParanoidPirateQueue, ParanoidPirateWorker } from "../../examples/reliability/paranoid-pirate.js";

/** The bug: an expired worker's requests are dropped with it. */
class ForgetfulQueue extends ParanoidPirateQueue {
  override expired(): void {}
}

const nemesis = plan({
  faults: [faults.kill("w1", { restartAfter: [0, 5000] }), faults.pause("w1", { ms: [1, 8000] }), faults.cut("w1", "queue", { afterBytes: [0, 2000] })],
  maxFaults: 3,
  horizon: 1200,
});
const requests = fc.array(fc.string({ maxLength: 2 }), { minLength: 1, maxLength: 5 }).map((a) => a.map((s, i) => `${i}${s}`));

function paranoidPirate(Queue: typeof ParanoidPirateQueue) {
  return async (sim: Simulation, reqs: string[]) => {
    sim.node("queue", async (n) => {
      const frontend = n.socket(Router);
      const backend = n.socket(Router);
      await frontend.bind("sim://queue:1");
      await backend.bind("sim://queue:2");
      await new Queue(frontend, backend, { heartbeatInterval: 1000 }).done;
    });
    for (const name of ["w1", "w2"]) {
      sim.node(name, async (n) => {
        const work = async ([seq, body]: Buffer[]) => {
          n.record("exec", `${body}`);
          await n.clock.sleep(100);
          return [seq!, `re:${body}`];
        };
        await new ParanoidPirateWorker("sim://queue:2", work, { context: n.context, heartbeatInterval: 1000, reconnect: 1000 }).done;
      });
    }
    const c = sim.node("client");
    // no retries: the queue alone must get every request answered
    const client = new LazyPirateClient("sim://queue:1", { context: c.context, timeout: 20_000, retries: 0 });
    await sim.sleep(500);
    const h = sim.history();
    for (const r of reqs) await h.op("client", "req", r, () => client.request(r));
    check.allOk(h, "a request was never answered");
    check.everyOk(h, (inv, ok) => ok.result === `re:${inv.value}`, "a reply answered another request");
    sim.sometimes("a request was handed to another worker", sim.trace.notes("exec").length > reqs.length);
  };
}

describe("Paranoid Pirate under faults", () => {
  it("every request is answered while a worker dies, stalls or loses its connection", async () => {
    const r = await property(paranoidPirate(ParanoidPirateQueue), { plan: nemesis, input: requests, numRuns: 200 });
    expect(r.runs).toBe(200);
    console.log("paranoid pirate coverage", [...r.coverage]);
  }, 120_000);

  it("a queue that forgets an expired worker's requests is found and shrunk", async () => {
    const err = await property(paranoidPirate(ForgetfulQueue), { plan: nemesis, input: requests, numRuns: 300, seed: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PropertyFailure);
    const f = err as PropertyFailure;
    console.log(f.message);
    expect(f.message).toMatch(/never answered/);
    expect(f.plan!.faults.length).toBe(1);
    expect((f.input as string[]).length).toBe(1);
  }, 120_000);
});
