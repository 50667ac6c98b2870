// zeromq.js parity (#12 item 11): a program that ends while a closed socket
// still has queued messages for a connected peer waits for them, and past
// 500 ms says so on stderr, exactly as zeromq.js does ("(node:PID) WARNING:
// Waiting for queued ZeroMQ messages to be delivered." and, with a blocky
// context, its hint). Each case runs a child program on each library, the
// peer (a zeromq.js PULL with RCVHWM 1, which stops reading TCP when full)
// stalled for a while after the child's close(), and compares what it printed
// and what arrived.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const requireCjs = createRequire(import.meta.url);
const LIBS = {
  zeromq: pathToFileURL(requireCjs.resolve("zeromq")).href,
  omq: pathToFileURL(join(here, "../../dist/index.js")).href,
};

interface Case {
  /** Socket options, and context.blocky. */
  options: string;
  blocky: boolean;
  /** Messages of 1 MiB the child sends before it closes. */
  messages: number;
  /** How long the peer reads nothing after the child has called close(). */
  stallMs: number;
  /** The child's own work after close (a ref'd timer), ms. */
  busyMs: number;
}

async function run(lib: string, c: Case): Promise<{ stderr: string; delivered: number; code: number | null }> {
  const zmq = requireCjs("zeromq") as typeof import("zeromq");
  const pull = new zmq.Pull({ receiveHighWaterMark: 1, linger: 0 });
  await pull.bind("tcp://127.0.0.1:0");
  const src = `
    const lib = await import(${JSON.stringify(lib)});
    const push = new lib.Push(${c.options});
    push.context.blocky = ${c.blocky};
    push.connect(${JSON.stringify(pull.lastEndpoint)});
    for (let i = 0; i < ${c.messages}; i++) await push.send(Buffer.alloc(1024 * 1024, i));
    await new Promise((r) => setTimeout(r, 100));
    push.close();
    process.stdout.write("closed\\n");
    if (${c.busyMs} > 0) setTimeout(() => {}, ${c.busyMs});`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", src], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  // the stall counts from the child's close(), not from its start: on a
  // loaded machine the child may take over a second just to load the library
  await new Promise<void>((r) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("closed")) r();
    });
    child.on("exit", () => r());
  });
  await new Promise((r) => setTimeout(r, c.stallMs));
  let delivered = 0;
  try {
    pull.receiveTimeout = 3000;
    for (; delivered < c.messages; delivered++) await pull.receive();
  } catch {
    // fewer arrived: reported below
  }
  const code = await exited;
  clearTimeout(killer);
  pull.close();
  return { stderr: stderr.replace(/\(node:\d+\)/g, "(node:PID)"), delivered, code };
}

async function both(c: Case) {
  const z = await run(LIBS.zeromq, c);
  const o = await run(LIBS.omq, c);
  expect(o).toEqual(z);
  return z;
}

const WARNING = "(node:PID) WARNING: Waiting for queued ZeroMQ messages to be delivered.";
const HINT = " Set 'context.blocky = false' to change this behaviour.";

describe("the warning at exit while queued messages wait", () => {
  it("a blocky context (the default, linger -1): the warning with its hint, then every message arrives", async () => {
    const z = await both({ options: "{}", blocky: true, messages: 48, stallMs: 1500, busyMs: 0 });
    expect(z).toEqual({ stderr: `${WARNING}${HINT}\n`, delivered: 48, code: 0 });
  }, 60_000);

  it("blocky off, with a linger of its own: the warning without the hint", async () => {
    const z = await both({ options: "{ linger: 8000 }", blocky: false, messages: 48, stallMs: 1500, busyMs: 0 });
    expect(z).toEqual({ stderr: `${WARNING}\n`, delivered: 48, code: 0 });
  }, 60_000);

  it("a flush that is over quickly: no warning", async () => {
    const z = await both({ options: "{}", blocky: true, messages: 1, stallMs: 0, busyMs: 0 });
    expect(z).toEqual({ stderr: "", delivered: 1, code: 0 });
  }, 60_000);

  it("a flush that ends while the program still works: no warning", async () => {
    const z = await both({ options: "{}", blocky: true, messages: 48, stallMs: 1000, busyMs: 4000 });
    expect(z).toEqual({ stderr: "", delivered: 48, code: 0 });
  }, 60_000);
});
