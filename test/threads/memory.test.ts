// Memory across crashes, by count: the cross-thread pipe ends a process holds
// (threadPipes()) come back to where they were after workers die. Its own
// file, so no other test's pipes are closing meanwhile.
import { afterAll, describe, expect, it } from "vitest";
import { actor, omq, stopAll, uniqueName } from "./actors.js";

const T = 40_000;
afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("memory across crashes", () => {
  it("20 workers connected to a ROUTER, then terminated, leave no pipe behind (threadPipes() is back where it was)", async () => {
    const addr = uniqueName("crash-count");
    const router = new omq.Router();
    await router.bind(addr);
    const before = omq.threadPipes();
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      const w = actor(`const d = new omq.Dealer(); d.connect(data.addr); await d.send("hello"); await d.receive(); post("ready");
        await new Promise(() => { setInterval(() => {}, 1000); });`, { addr });
      const [id] = await router.receive();
      await router.send([id!, "hi"]);
      expect(await w.next()).toBe("ready");
      peak = Math.max(peak, omq.threadPipes());
      await w.worker.terminate();
    }
    expect(peak).toBeGreaterThan(before);
    // each dead worker's pipe end closes once its port reports the peer gone
    for (let i = 0; i < 200 && omq.threadPipes() > before; i++) await sleep(10);
    expect(omq.threadPipes()).toBe(before);
    router.close();
  }, T);
});
