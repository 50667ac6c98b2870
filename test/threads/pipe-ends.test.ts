// Two ends of one cross-thread pipe driven by hand inside a worker (so a
// livelock there cannot stall the test runner): what each end sleeps for is
// forgotten once it is served, whoever serves it.
import { afterAll, describe, expect, it } from "vitest";
import { actor, stopAll } from "./actors.js";

const T = 20_000;
afterAll(stopAll);

const DIST = new URL("../../dist/", import.meta.url).href;

describe("a cross-thread pipe end's wants", () => {
  it("a writer whose full ring drains while it also looks at its inbound settles down (no endless service loop)", async () => {
    const w = actor(`const { ThreadPipeEnd } = await import(data.dist + "transports/threads/thread-pipe.js");
      const { createPipeMemory } = await import(data.dist + "transports/threads/ring.js");
      const { MessageChannel } = await import("node:worker_threads");
      const sab = createPipeMemory(1024); // 42 frames of 16 B
      const { port1, port2 } = new MessageChannel();
      const info = (t) => ({ socketType: t, endpoint: "inproc://wants", locallyInitiated: true });
      const sink = { readActivated() {}, writeActivated() {}, terminated() {} };
      const a = new ThreadPipeEnd(sab, 0, port1, info("PULL"), true, () => 0);
      const b = new ThreadPipeEnd(sab, 1, port2, info("PUSH"), true, () => 0);
      a.sink = sink; b.sink = sink;
      let accepted = 0;
      for (let i = 0; i < 50; i++) if (a.write([Buffer.alloc(16, i)])) accepted++;
      let read = 0;
      for (let i = 0; i < 20; i++) if (b.read() !== undefined) read++;
      // the writer looks at its inbound (as PUSH does): it sleeps for data, and the room is there
      const none = a.read();
      // an endless microtask loop would never let this timer fire
      await new Promise((r) => setTimeout(r, 50));
      let more = 0;
      while (b.read() !== undefined) more++;
      post({ accepted, read, none: none === undefined, more });
      a.close(); b.close();`, { dist: DIST });
    expect(await w.next()).toEqual({ accepted: 50, read: 20, none: true, more: 30 });
    await w.exited;
  }, T);
});
