// Hostile peers cannot grow memory: frames before READY and oversized
// commands after it are refused at their header. The target runs in a child
// process (the built package) so its memory can be measured alone; an honest
// libzmq DEALER round-trips with it throughout.
import { type ChildProcess, fork } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { RawPeer, command, frame, greeting, ready, sleep } from "../helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/hostile-target.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
const MiB = 1024 * 1024;
/** What "a few MB" means here: the target's array buffers may grow by this much at most. */
const ARRAY_BUFFER_SLACK = 4 * MiB;
const RSS_SLACK = 24 * MiB;

interface Mem {
  rss: number;
  arrayBuffers: number;
}

let child: ChildProcess;
let endpoints: { router: string; xpub: string };
let honest: zmq.Dealer;
let trips = 0;
let tripError: unknown;
let stop = false;
let loop: Promise<void>;

function ask(): Promise<Mem> {
  return new Promise((resolve) => {
    const on = (m: { mem?: Mem }) => {
      if (m.mem === undefined) return;
      child.off("message", on);
      resolve(m.mem);
    };
    child.on("message", on);
    child.send("mem");
  });
}

beforeAll(async () => {
  if (!existsSync(DIST) && process.env.OMQ_DIST === undefined) throw new Error("dist/ is missing: run `npm run build` first");
  child = fork(FIXTURE, [], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  endpoints = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`target exited with ${code}`)));
  });
  honest = new zmq.Dealer({ linger: 0, receiveTimeout: 5000 });
  honest.connect(endpoints.router);
  loop = (async () => {
    try {
      for (let i = 0; !stop && i < 1_000_000; i++) {
        await honest.send(`trip-${i}`);
        const [r] = await honest.receive();
        if (r!.toString() !== `trip-${i}`) throw new Error(`wrong reply ${r}`);
        trips++;
        await sleep(5);
      }
    } catch (e) {
      if (!stop) tripError = e;
    }
  })();
  const t0 = trips;
  for (let i = 0; i < 500 && trips < t0 + 3; i++) await sleep(10);
}, 20_000);

afterAll(async () => {
  stop = true;
  honest?.close();
  await loop;
  if (child !== undefined && child.exitCode === null) {
    const gone = new Promise((r) => child.once("exit", r));
    child.send("exit");
    await gone;
  }
}, 20_000);

/** Write `total` bytes of `piece` copies as fast as the connection takes
 * them, until it is closed by the target. */
async function flood(p: RawPeer, piece: Buffer, total: number): Promise<void> {
  let sent = 0;
  while (sent < total && !p.closed) {
    const ok = p.socket.write(piece);
    sent += piece.length;
    if (!ok) await new Promise<void>((r) => {
      const done = () => r();
      p.socket.once("drain", done);
      p.socket.once("close", done);
    });
  }
}

async function attack(address: string, run: (p: RawPeer) => Promise<void>): Promise<{ before: Mem; after: Mem }> {
  const before = await ask();
  const tripsBefore = trips;
  const p = await RawPeer.connect(address);
  try {
    await run(p);
    await p.untilClosed(10_000);
  } finally {
    p.close();
  }
  const after = await ask();
  // the honest peer went on round-tripping
  for (let i = 0; i < 500 && trips < tripsBefore + 3; i++) await sleep(10);
  expect(tripError).toBeUndefined();
  expect(trips).toBeGreaterThanOrEqual(tripsBefore + 3);
  return { before, after };
}

function expectBounded({ before, after }: { before: Mem; after: Mem }): void {
  expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(ARRAY_BUFFER_SLACK);
  expect(after.rss - before.rss).toBeLessThan(RSS_SLACK);
}

describe("hostile peers are dropped at the header; memory stays bounded", () => {
  it("32 MiB of MORE frames before READY", async () => {
    const m = await attack(endpoints.router, async (p) => {
      p.write(greeting());
      // 64 KiB MORE frames: each header alone is refused before READY
      await flood(p, frame(Buffer.alloc(64 * 1024 - 9, 1), 0x01), 32 * MiB);
    });
    expectBounded(m);
  }, 30_000);

  it("a 4 GiB-declared body before READY", async () => {
    const m = await attack(endpoints.router, async (p) => {
      const header = Buffer.alloc(9);
      header[0] = 0x02; // LONG, not MORE
      header.writeBigUInt64BE(4n * 1024n * MiB64, 1);
      p.write(greeting(), header);
      await flood(p, Buffer.alloc(256 * 1024, 2), 64 * MiB);
    });
    expectBounded(m);
  }, 30_000);

  it("a 64 MiB SUBSCRIBE after READY", async () => {
    const m = await attack(endpoints.xpub, async (p) => {
      p.write(greeting(), ready("SUB"));
      await p.until(() => p.commands().some(([n]) => n === "READY"), 5000, "READY");
      const name = Buffer.from("\x09SUBSCRIBE", "latin1");
      const header = Buffer.alloc(9);
      header[0] = 0x06; // LONG | COMMAND
      header.writeBigUInt64BE(BigInt(name.length + 64 * MiB), 1);
      p.write(header, name);
      await flood(p, Buffer.alloc(256 * 1024, 3), 64 * MiB);
    });
    expectBounded(m);
  }, 30_000);

  it("an endless PING after READY is held to PING's size", async () => {
    const m = await attack(endpoints.router, async (p) => {
      p.write(greeting(), ready("DEALER"));
      await p.until(() => p.commands().some(([n]) => n === "READY"), 5000, "READY");
      // a PING of 32 MiB: over the post-handshake command cap at its header
      const header = Buffer.alloc(9);
      header[0] = 0x06;
      header.writeBigUInt64BE(BigInt(32 * MiB), 1);
      p.write(header, command("PING").subarray(2, 7));
      await flood(p, Buffer.alloc(256 * 1024, 4), 32 * MiB);
    });
    expectBounded(m);
  }, 30_000);
});

const MiB64 = BigInt(MiB);
