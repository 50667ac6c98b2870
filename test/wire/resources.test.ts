// Resource exhaustion rows of notes/reliability.md §7: silent connections are
// closed at the handshake timeout while real peers are served; connect /
// disconnect churn leaks no handles; many sockets open and close.
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Context, Dealer, Pull, Push, Router } from "../../index.js";
import { until, sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Handles Node keeps for the process (sockets, servers, timers). */
function handleCount(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

describe("resources", () => {
  it("200 connections that never greet are closed at the handshake timeout; a real peer is served meanwhile", async () => {
    const router = new Router({ linger: 0, handshakeInterval: 300 });
    open.push(router);
    let failures = 0;
    router.events.on("handshake:error:other", () => failures++);
    await router.bind("tcp://127.0.0.1:*");
    const port = Number(router.lastEndpoint!.split(":").pop());
    const silent = [];
    let closed = 0;
    for (let i = 0; i < 200; i++) {
      const s = connect({ host: "127.0.0.1", port });
      s.on("error", () => {});
      s.on("close", () => closed++);
      s.resume(); // read, so the FIN is seen
      silent.push(s);
    }
    const dealer = new Dealer({ linger: 0 });
    open.push(dealer);
    dealer.connect(router.lastEndpoint!);
    await dealer.send("real");
    const [id, body] = await router.receive();
    expect(body!.toString()).toBe("real");
    await router.send([id!, "served"]);
    expect((await dealer.receive())[0]!.toString()).toBe("served");
    await until(() => closed === 200, 10000, "all silent connections closed");
    expect(failures).toBe(200);
    for (const s of silent) s.destroy();
  }, 20000);

  it("connect/disconnect churn leaves no handles behind", async () => {
    const pull = new Pull({ linger: 0 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    // warm up whatever Node keeps once
    const warm = new Push({ linger: 0 });
    warm.connect(pull.lastEndpoint!);
    await warm.send("w");
    await pull.receive();
    warm.close();
    await sleep(100);
    const before = handleCount();
    for (let round = 0; round < 50; round++) {
      const push = new Push({ linger: 0, reconnectInterval: 10 });
      push.connect(pull.lastEndpoint!);
      await push.send(`r${round}`);
      expect((await pull.receive())[0]!.toString()).toBe(`r${round}`);
      if (round % 2 === 0) push.disconnect(pull.lastEndpoint!);
      push.close();
    }
    await until(() => handleCount() <= before, 5000, `handles back to ${before} (now ${handleCount()})`);
  }, 20000);

  it("1000 sockets open and close in one context; the 1024th is EMFILE", async () => {
    const ctx = new Context();
    const socks = [];
    for (let i = 0; i < 1000; i++) socks.push(new Pull({ context: ctx, linger: 0 }));
    for (let i = 0; i < 1000; i += 10) await socks[i]!.bind(`inproc://many-${i}`);
    for (let i = 1000; i < 1023; i++) socks.push(new Pull({ context: ctx, linger: 0 }));
    expect(() => new Pull({ context: ctx })).toThrow(expect.objectContaining({ code: "EMFILE" }));
    for (const s of socks) s.close();
    expect(ctx.sockets).toBe(0);
    const again = new Pull({ context: ctx });
    again.close();
  });
});
