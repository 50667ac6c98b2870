// Issue #3, across hosts: two network namespaces joined by a veth pair stand
// in for two machines (a real link with a 1500-byte MTU, no loopback
// shortcuts). Each side is a child process started with
// `ip netns exec NS node fixtures/netns-peer.mjs ...` that imports either the
// BUILT omq (the repo's dist/index.js: run `npm run build` first; `npm ci`
// builds it through `prepare`) or libzmq (the zeromq package). PUB/SUB and
// REQ/REP over tcp, omq against libzmq in both roles, and omq against omq.
//
// Needs root and iproute2. Without them the tests do not run and a warning says
// why; CI runs as root and runs them. Addresses live only inside the two
// namespaces (10.231.<rand>.1/30 and .2/30); both veth ends are created
// directly inside their namespace, so nothing appears in the host namespace.
// The namespaces are deleted in afterAll (and stale ones from dead runs of
// this file in beforeAll); every child is killed and reaped after each test.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { within } from "../helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/netns-peer.mjs", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DIST_INDEX = fileURLToPath(new URL("../../dist/index.js", import.meta.url));

function hasIp(): boolean {
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const ipFound = hasIp();
const canRun = isRoot && ipFound;
if (!canRun) {
  console.warn(
    `netns.test.ts: cross-host tests NOT run: ${!isRoot ? "not running as root (network namespaces need CAP_SYS_ADMIN)" : ""}` +
      `${!isRoot && !ipFound ? " and " : ""}${!ipFound ? "the `ip` command (iproute2) is missing" : ""}`,
  );
}

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Namespaces left by runs of this file whose process died without afterAll. */
function removeStaleNamespaces(): void {
  let list = "";
  try {
    list = ip("netns", "list");
  } catch {
    return;
  }
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const m = /^omq[AB]-(\d+)-[0-9a-f]+$/.exec(name);
    if (m === null || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      ip("netns", "del", name);
    } catch {
      // gone meanwhile
    }
  }
}

/** A child process speaking JSON lines (see the fixture). */
class Peer {
  readonly proc: ChildProcess;
  private readonly events: Array<Record<string, unknown>> = [];
  private wake: (() => void) | undefined;
  private stderr = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly label: string,
    ns: string,
    args: Record<string, unknown>,
  ) {
    this.proc = spawn("ip", ["netns", "exec", ns, process.execPath, FIXTURE, JSON.stringify(args)], {
      cwd: REPO,
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code) => resolve(code)));
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.stderr += `(stdout) ${line}\n`;
      }
      this.wake?.();
    });
    this.proc.stderr!.on("data", (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    this.proc.once("exit", () => this.wake?.());
    this.proc.stdin!.on("error", () => undefined);
  }

  /** The next event from the child; fails on its error event, its exit, or the timeout. */
  async next(ev: string, ms = 15_000): Promise<Record<string, unknown>> {
    const end = Date.now() + ms;
    for (;;) {
      const e = this.events.shift();
      if (e !== undefined) {
        if (e.ev === ev) return e;
        if (e.ev === "error") throw new Error(`${this.label} failed: ${String(e.message)}\n${this.stderr}`);
        throw new Error(`${this.label}: expected ${ev}, got ${JSON.stringify(e)}`);
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`${this.label} exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${ev}\n${this.stderr}`);
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no ${ev} within ${ms} ms\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  tell(cmd: string): void {
    if (this.proc.stdin?.writable) this.proc.stdin.write(cmd + "\n");
  }

  /** Wait for a clean exit; code 0 expected. */
  async finished(ms = 10_000): Promise<void> {
    const code = await within(this.exited, ms, `${this.label} to exit`);
    if (code !== 0) throw new Error(`${this.label} exited with ${code}\n${this.stderr}`);
  }

  /** Kill (if still running) and reap. */
  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await within(this.exited, 5_000, `${this.label} to be reaped`).catch(() => undefined);
  }
}

describe.runIf(canRun)("omq across hosts: two network namespaces joined by a veth pair", () => {
  const tag = `${process.pid}-${randomBytes(3).toString("hex")}`;
  const nsA = `omqA-${tag}`;
  const nsB = `omqB-${tag}`;
  const vethA = `oq${tag.slice(-6)}a`;
  const vethB = `oq${tag.slice(-6)}b`;
  const octet = randomBytes(1)[0]!;
  const addrA = `10.231.${octet}.1`;
  const addrB = `10.231.${octet}.2`;
  const created: string[] = [];
  const peers: Peer[] = [];

  function peer(label: string, ns: string, args: Record<string, unknown>): Peer {
    const p = new Peer(label, ns, args);
    peers.push(p);
    return p;
  }

  beforeAll(() => {
    if (!existsSync(DIST_INDEX)) {
      throw new Error(`${DIST_INDEX} is missing: run \`npm run build\` (npm ci does it through prepare)`);
    }
    const built = statSync(DIST_INDEX).mtimeMs;
    let newest = 0;
    for (const dir of ["lib", "transports", "patterns"]) {
      const d = fileURLToPath(new URL(`../../${dir}/`, import.meta.url));
      for (const f of readdirSync(d, { recursive: true, encoding: "utf8" })) {
        if (f.endsWith(".ts")) newest = Math.max(newest, statSync(d + f).mtimeMs);
      }
    }
    if (newest > built) {
      console.warn("netns.test.ts: dist/ is older than the sources: the children run the built package; run `npm run build`");
    }

    removeStaleNamespaces();
    ip("netns", "add", nsA);
    created.push(nsA);
    ip("netns", "add", nsB);
    created.push(nsB);
    ip("link", "add", vethA, "netns", nsA, "type", "veth", "peer", "name", vethB, "netns", nsB);
    ip("-n", nsA, "addr", "add", `${addrA}/30`, "dev", vethA);
    ip("-n", nsB, "addr", "add", `${addrB}/30`, "dev", vethB);
    for (const [ns, dev] of [[nsA, vethA], [nsB, vethB]] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
    // the link is really there: A reaches B's address over the veth
    const route = ip("-n", nsA, "route", "get", addrB);
    expect(route).toContain(`dev ${vethA}`);
  });

  afterEach(async () => {
    await Promise.all(peers.map((p) => p.kill()));
    peers.length = 0;
  });

  afterAll(async () => {
    await Promise.all(peers.map((p) => p.kill()));
    for (const ns of created) {
      try {
        ip("netns", "del", ns); // the veth pair goes with its namespace
      } catch (e) {
        console.warn(`netns.test.ts: could not delete namespace ${ns}: ${(e as Error).message}`);
      }
    }
  });

  const libName = (l: string): string => (l === "omq" ? "omq" : "libzmq");

  // PUB binds in A, SUB connects from B; the SUB subscribes to "a" and must get
  // exactly the a... messages (every 50th with a 100 kB body), in order.
  for (const [pubLib, subLib] of [
    ["omq", "zmq"],
    ["zmq", "omq"],
    ["omq", "omq"],
  ] as const) {
    it(`PUB (${libName(pubLib)}, ${"A"}) -> SUB (${libName(subLib)}, B) over tcp`, async () => {
      const count = 2000;
      const pub = peer(`PUB ${pubLib} in ${nsA}`, nsA, {
        lib: pubLib,
        role: "pub",
        mode: "bind",
        endpoint: `tcp://${addrA}:*`,
        count,
      });
      const ready = await pub.next("ready");
      const endpoint = String(ready.endpoint);
      expect(endpoint).toMatch(new RegExp(`^tcp://${addrA.replace(/\./g, "\\.")}:[1-9]\\d*$`));
      const sub = peer(`SUB ${subLib} in ${nsB}`, nsB, { lib: subLib, role: "sub", mode: "connect", endpoint, count });
      await sub.next("ready");
      await sub.next("probe", 20_000);
      pub.tell("go");
      await pub.next("sent", 20_000);
      const result = await sub.next("result", 20_000);
      expect(result.firstBad, "every a... message intact and in order, nothing else").toBeNull();
      expect(result.received).toBe(count);
      pub.tell("quit");
      await Promise.all([sub.finished(), pub.finished()]);
    }, 60_000);
  }

  // REP binds in B, REQ connects from A: multipart requests with frames around
  // the MTU and a 1 MB one every tenth request, echoed back with a prefix.
  for (const [reqLib, repLib] of [
    ["omq", "zmq"],
    ["zmq", "omq"],
    ["omq", "omq"],
  ] as const) {
    it(`REQ (${libName(reqLib)}, A) -> REP (${libName(repLib)}, B) over tcp`, async () => {
      const count = 100;
      const rep = peer(`REP ${repLib} in ${nsB}`, nsB, { lib: repLib, role: "rep", mode: "bind", endpoint: `tcp://${addrB}:*` });
      const endpoint = String((await rep.next("ready")).endpoint);
      expect(endpoint).toMatch(new RegExp(`^tcp://${addrB.replace(/\./g, "\\.")}:[1-9]\\d*$`));
      const req = peer(`REQ ${reqLib} in ${nsA}`, nsA, { lib: reqLib, role: "req", mode: "connect", endpoint, count });
      await req.next("ready");
      const result = await req.next("result", 30_000);
      expect(result.firstBad, "every reply intact").toBeNull();
      expect(result.ok).toBe(count);
      const served = await rep.next("result");
      expect(served.served).toBe(count);
      rep.tell("quit");
      await Promise.all([req.finished(), rep.finished()]);
    }, 60_000);
  }
});
