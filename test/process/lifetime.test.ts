// Process lifetime (API.md "Lifetimes"): an idle open socket does not keep
// Node alive, a pending receive() does, and a closed socket never waits for a
// peer that is not connected. Each case runs the built package in a child.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const dist = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "../../dist/index.js")).href;

/** Run a module body in a child; resolve with its exit code and how long it lived. */
function run(body: string, killAfterMs = 8000): Promise<{ code: number | null; ms: number; out: string }> {
  const src = `import * as omq from ${JSON.stringify(dist)};\n${body}`;
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, ms: Date.now() - t0, out });
    });
  });
}

describe("process lifetime", () => {
  it("an idle bound and connected socket does not keep the process alive", async () => {
    const r = await run(`
      const pull = new omq.Pull(); await pull.bind("tcp://127.0.0.1:*");
      const push = new omq.Push(); push.connect(pull.lastEndpoint);
      await push.send("x"); await pull.receive();
      console.log("done");`);
    expect(r.out).toContain("done");
    expect(r.code).toBe(0);
  });

  it("a pending receive() keeps the process alive until it resolves", async () => {
    const r = await run(`
      const pull = new omq.Pull({ receiveTimeout: 700 });
      await pull.bind("inproc://x");
      const t0 = Date.now();
      try { await pull.receive(); } catch (e) { console.log("rejected", e.code, Date.now() - t0 >= 600); }`);
    expect(r.out).toContain("rejected EAGAIN true");
    expect(r.code).toBe(0);
  });

  it("close() with the default linger does not wait for a peer that never connected", async () => {
    const r = await run(`
      const push = new omq.Push(); // linger -1: flush forever, but only to connected peers
      push.connect("tcp://127.0.0.1:9");
      await push.send("never delivered");
      push.close();
      console.log("closed");`);
    expect(r.out).toContain("closed");
    expect(r.code).toBe(0);
  });

  it("close() with linger flushes to a connected peer before the process exits", async () => {
    const r = await run(`
      const { fork } = await import("node:child_process");
      const pull = new omq.Pull(); await pull.bind("tcp://127.0.0.1:*");
      const push = new omq.Push({ linger: 5000 });
      push.connect(pull.lastEndpoint);
      await push.send("warm-up"); await pull.receive();
      for (let i = 0; i < 2000; i++) await push.send(Buffer.alloc(1024));
      push.close();
      let n = 0;
      for (; n < 2000; n++) await pull.receive();
      console.log("received", n);
      pull.close();`);
    expect(r.out).toContain("received 2000");
    expect(r.code).toBe(0);
  });

  it("after a lingering close has written everything, a peer that never closes does not keep the process alive", async () => {
    const r = await run(`
      const pull = new omq.Pull({ receiveHighWaterMark: 1 }); // open, never reads
      await pull.bind("tcp://127.0.0.1:*");
      const push = new omq.Push(); // linger -1
      const hs = new Promise((r) => push.events.on("handshake", r));
      const keep = setInterval(() => {}, 1000);
      push.connect(pull.lastEndpoint);
      await hs;
      clearInterval(keep);
      for (let i = 0; i < 600; i++) await push.send(Buffer.alloc(1024));
      await new Promise((r) => setTimeout(r, 300));
      push.close();
      console.log("closed");`);
    expect(r.out).toContain("closed");
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(7000);
  });
});
