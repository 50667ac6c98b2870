// pgm between processes, using the BUILT package (dist/, made by `npm run
// build`; CI's `npm ci` runs it through `prepare`):
// - lifetimes: idle or closed pgm sockets never keep a process alive;
// - two "hosts": two network namespaces joined by a veth pair, created here
//   (root only), one process publishing in one, one subscribing in the other.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { digest as digestOf, mcastEndpoint, sleep } from "../helpers.js";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const fixture = (name: string) => here(`./fixtures/${name}`);
const DIST = here("../../dist/transports/pgm/index.js");

const children = new Set<ChildProcess>();
const namespaces: string[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const ns of namespaces.splice(0)) spawnSync("ip", ["netns", "del", ns]);
});

function requireDist(): void {
  if (!existsSync(DIST)) throw new Error("dist/ has no pgm transport: run `npm run build` first (CI's npm ci does)");
}

interface Run {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp, ms: number): Promise<string>;
}

function run(cmd: string, args: string[]): Run {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(l);
      for (const w of waiters.splice(0)) {
        if (w.re.test(l)) w.resolve(l);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    line(re, ms) {
      const have = lines.find((l) => re.test(l));
      if (have !== undefined) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no line matching ${re} within ${ms} ms; stderr: ${stderr.join("")}`)),
          ms,
        );
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

/** Wait for exit, killing the child after `ms`; returns the exit code (null if killed). */
async function reap(r: Run, ms: number): Promise<number | null> {
  const t = setTimeout(() => r.child.kill("SIGKILL"), ms);
  const code = await r.exited;
  clearTimeout(t);
  children.delete(r.child);
  return code;
}

describe("pgm: process lifetimes", () => {
  for (const mode of ["open", "closed"]) {
    it(`a process with ${mode} pgm sockets exits by itself after an exchange`, { timeout: 20000 }, async () => {
      requireDist();
      const r = run(process.execPath, [fixture("idle.mjs"), mcastEndpoint(), mode]);
      const code = await reap(r, 15000);
      expect(r.stderr.join("")).toBe("");
      expect(code).toBe(0);
      expect(r.lines).toContain("GOT hello world");
    });
  }
});

const isRoot = process.getuid?.() === 0;
const hasIp = spawnSync("ip", ["-V"]).status === 0;
const skipReason = !isRoot
  ? "needs root to create network namespaces (ip netns add); CI runs as root"
  : !hasIp
    ? "needs iproute2 (`ip`)"
    : null;
if (skipReason !== null) console.log(`SKIPPED pgm two-namespace test: ${skipReason}`);

describe("pgm: across two network namespaces joined by a veth pair", () => {
  it.skipIf(skipReason !== null)("a publisher in one namespace reaches a subscriber in the other; a loss is repaired across the link", { timeout: 60000 }, async () => {
    requireDist();
    const id = randomBytes(3).toString("hex");
    const nsA = `omq-pgm-${process.pid}-${id}-a`;
    const nsB = `omq-pgm-${process.pid}-${id}-b`;
    const vA = `oq${id}a`; // interface names: at most 15 characters
    const vB = `oq${id}b`;
    const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
    try {
      ip("netns", "add", nsA);
      namespaces.push(nsA);
      ip("netns", "add", nsB);
      namespaces.push(nsB);
      // both ends are created inside their namespaces: nothing appears in the host's
      ip("link", "add", vA, "netns", nsA, "type", "veth", "peer", "name", vB, "netns", nsB);
      ip("-n", nsA, "addr", "add", "10.231.0.1/24", "dev", vA);
      ip("-n", nsB, "addr", "add", "10.231.0.2/24", "dev", vB);
      for (const [ns, dev] of [[nsA, vA], [nsB, vB]] as const) {
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "link", "set", dev, "up");
      }
      // the veth carrier comes up a moment after `link set up`; until then the interface is
      // not RUNNING and Node does not list it (bounded wait)
      for (const [ns, dev] of [[nsA, vA], [nsB, vB]] as const) {
        const deadline = Date.now() + 5000;
        while (!/LOWER_UP/.test(execFileSync("ip", ["-n", ns, "link", "show", "dev", dev], { encoding: "utf8" }))) {
          if (Date.now() > deadline) throw new Error(`${dev} in ${ns} did not come up`);
          await sleep(20);
        }
      }
      const group = `239.192.${1 + (randomBytes(1)[0]! % 250)}.${1 + (randomBytes(1)[0]! % 250)}`;
      const port = 20000 + (randomBytes(2).readUInt16BE(0) % 40000);
      const n = 30;
      // the subscriber names its interface, the publisher gives its address
      const sub = run("ip", ["netns", "exec", nsB, process.execPath, fixture("ns-sub.mjs"), `epgm://${vB};${group}:${port}`, String(n)]);
      await sub.line(/^READY$/, 10000);
      const pub = run("ip", ["netns", "exec", nsA, process.execPath, fixture("ns-pub.mjs"), `epgm://10.231.0.1;${group}:${port}`, String(n)]);
      await pub.line(/^SENT$/, 10000);
      const result = JSON.parse(await sub.line(/^\{/, 30000)) as { digests: string[]; naks: number; rdata: number; dropped: number | null };
      pub.child.stdin!.end();
      const [subCode, pubCode] = await Promise.all([reap(sub, 10000), reap(pub, 10000)]);

      const { message } = (await import(fixture("common.mjs"))) as { message: (i: number) => Buffer[] };
      const want = digestOf(Array.from({ length: n }, (_, i) => message(i)));
      expect(result.digests).toEqual(want);
      expect(result.dropped).not.toBeNull();
      expect(result.naks).toBeGreaterThanOrEqual(1);
      expect(result.rdata).toBeGreaterThanOrEqual(1);
      expect(subCode).toBe(0);
      expect(pubCode).toBe(0);

      console.log(
        `pgm two-namespace test ran: ${n} messages ${nsA} -> ${nsB} over veth, ` +
          `1 packet dropped and repaired (${result.naks} NAK, ${result.rdata} RDATA)`,
      );
    } finally {
      for (const ns of namespaces.splice(0)) spawnSync("ip", ["netns", "del", ns]);
    }
  });
});
