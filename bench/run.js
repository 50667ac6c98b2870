#!/usr/bin/env node
// omq vs zeromq benchmark orchestrator (issue #5). See bench/README.md.
//
//   node bench/run.js [--quick] [--runs=N] [--only=id,id,...] [--out=name] [--list]
//
// Every case runs the same driver (bench/worker.js) once per library per run,
// alternating the order (omq first, then zeromq first, ...). Network cases put
// sender and receiver in separate processes. Every run checks that the
// receiver got exactly what the sender sent; a run that fails or exceeds its
// time limit is reported as failed, its processes are killed and reaped, and
// the exit code is non-zero. Results: bench/results/<out>.json (every sample)
// and bench/results/<out>.svg (chart).
import { fork, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg } from "./chart.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const WORKER = join(here, "worker.js");
const LIBS = ["omq", "zeromq"];

// --- options ----------------------------------------------------------------

const opts = { quick: false, runs: undefined, only: undefined, out: undefined, list: false };
for (const a of process.argv.slice(2)) {
  if (a === "--quick") opts.quick = true;
  else if (a === "--list") opts.list = true;
  else if (a.startsWith("--runs=")) opts.runs = Number(a.slice(7));
  else if (a.startsWith("--only=")) opts.only = a.slice(7).split(",").filter(Boolean);
  else if (a.startsWith("--out=")) opts.out = a.slice(6);
  else if (a === "--help" || a === "-h") {
    console.log("usage: node bench/run.js [--quick] [--runs=N] [--only=id,id,...] [--out=name] [--list]");
    process.exit(0);
  } else {
    console.error(`unknown option ${a} (try --help)`);
    process.exit(2);
  }
}
const QUICK = opts.quick;
const RUNS = opts.runs ?? (QUICK ? 3 : 5);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error("--runs must be a positive integer");
  process.exit(2);
}
// per-run data-phase cap (the sender stops early when it is reached), the
// per-run time limit (then the run has failed), and the whole-suite budget
const MAX_MS = QUICK ? 300 : 2000;
const RUN_TIMEOUT_MS = QUICK ? 10_000 : 20_000;
const BUDGET_MS = QUICK ? 110_000 : 570_000;

// --- cases ------------------------------------------------------------------

const KiB = 1024;
const MiB = 1024 * 1024;
// count: messages per run (full, quick). A run sends `count` messages or stops
// after MAX_MS of sending, whichever comes first ("time-capped" in the table),
// so a slow library still finishes a run in about MAX_MS. Sized so that on a
// small (2-CPU) machine the faster library needs about 1 s (long enough that
// JIT warm-up does not dominate) and the slower is capped at MAX_MS.
const CASES = [
  pp("tcp-16", "tcp", 16, 5_000_000, 100_000),
  pp("tcp-256", "tcp", 256, 3_000_000, 80_000),
  pp("tcp-4k", "tcp", 4 * KiB, 450_000, 30_000),
  pp("tcp-64k", "tcp", 64 * KiB, 40_000, 4_000),
  pp("tcp-1m", "tcp", MiB, 2_000, 200),
  { ...pp("tcp-1m-dial", "tcp", MiB, 2_000, 200), dial: true, title: "PUSH→PULL tcp 1 MiB, receiver dials" },
  pp("ipc-16", "ipc", 16, 5_000_000, 100_000),
  pp("ipc-256", "ipc", 256, 3_000_000, 80_000),
  pp("ipc-4k", "ipc", 4 * KiB, 450_000, 30_000),
  pp("ipc-64k", "ipc", 64 * KiB, 40_000, 4_000),
  { id: "inproc-16", kind: "inproc", title: "PUSH→PULL inproc 16 B, 1 process", size: 16, count: [6_000_000, 100_000] },
  { id: "reqrep-16", kind: "reqrep", title: "REQ↔REP tcp 16 B round trip", size: 16, count: [40_000, 4_000], warmup: [1_000, 200] },
  { id: "pubsub-64", kind: "pubsub", title: "PUB→4 SUB tcp 64 B", size: 64, subs: 4, count: [1_000_000, 20_000] },
];
let childCount = 0;
function nodeArgs(lib, role) {
  const a = process.env.BENCH_NODE_ARGS;
  if (!a) return [];
  const n = ++childCount;
  return a.split(/\s+/).filter(Boolean).map((x) => x.replaceAll("{lib}", lib).replaceAll("{role}", role).replaceAll("{n}", String(n)));
}

function pp(id, transport, size, full, quick) {
  return { id, kind: "pushpull", transport, size, title: `PUSH→PULL ${transport} ${fmtSize(size)}`, count: [full, quick] };
}
const countOf = (c, key = "count") => c[key][QUICK ? 1 : 0];

// how each kind is measured: the primary metric, its unit and direction
function metricOf(c) {
  if (c.kind === "reqrep") return { key: "p50Us", unit: "µs", better: "lower", label: "median round trip" };
  if (c.kind === "pubsub") return { key: "deliveredPerSec", unit: "msg/s", better: "higher", label: "delivered msg/s (all subs)" };
  if (c.size >= 64 * KiB) return { key: "MBps", unit: "MB/s", better: "higher", label: "throughput" };
  return { key: "msgPerSec", unit: "msg/s", better: "higher", label: "throughput" };
}

if (opts.list) {
  for (const c of CASES) console.log(`${c.id.padEnd(11)} ${c.title}`);
  process.exit(0);
}
let selected = CASES;
if (opts.only) {
  selected = CASES.filter((c) => opts.only.some((o) => c.id === o || c.id.startsWith(o)));
  if (selected.length === 0) {
    console.error(`--only matched no case; cases: ${CASES.map((c) => c.id).join(", ")}`);
    process.exit(2);
  }
}
const partial = QUICK || opts.only !== undefined || RUNS < 5; // only a full run replaces latest.*
const outName = opts.out ?? (partial ? (QUICK ? "quick" : "partial") : "latest");

// --- children: spawn, talk, time out, reap ----------------------------------

const live = new Set(); // every child not yet reaped
function killAll() {
  for (const c of live) {
    try {
      c.kill("SIGKILL");
    } catch {}
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    killAll();
    console.error(`\n${sig}: children killed`);
    process.exit(130);
  });
}

let ipcDir; // created on demand, removed at exit
process.on("exit", () => {
  if (ipcDir) rmSync(ipcDir, { recursive: true, force: true });
});
let endpointSeq = 0;
function endpointFor(transport) {
  if (transport === "tcp") return "tcp://127.0.0.1:*";
  ipcDir ??= mkdtempSync(join(os.tmpdir(), "omq-bench-"));
  return `ipc://${join(ipcDir, `e${endpointSeq++}.sock`)}`;
}

class Worker {
  constructor(lib, role, args) {
    this.name = `${role}(${lib})`;
    this.inbox = [];
    this.waiters = [];
    this.stderr = "";
    this.failure = null;
    this.statusMsg = null;
    this.child = fork(WORKER, [lib, role, JSON.stringify({ ...args, hardMs: RUN_TIMEOUT_MS + 5_000 })], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // profiling aid: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-name={lib}-{role}-{n}.cpuprofile"
      execArgv: nodeArgs(lib, role),
    });
    live.add(this.child);
    const keep = (d) => (this.stderr = (this.stderr + d).slice(-2000));
    this.child.stdout.on("data", keep);
    this.child.stderr.on("data", keep);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        this.setFailure(`${this.name} exited (code ${code}, signal ${signal})`);
        resolve(this.exit);
      });
    });
    this.child.on("error", (e) => this.setFailure(`${this.name}: ${e.message}`));
    this.child.on("message", (m) => {
      if (m.type === "status") this.statusMsg = m;
      else if (m.type === "error") this.setFailure(`${this.name} failed: ${m.message}`);
      else {
        const i = this.waiters.findIndex((w) => w.type === m.type);
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
        else this.inbox.push(m);
      }
    });
  }
  setFailure(msg) {
    if (this.failure !== null) return;
    this.failure = msg;
    for (const w of this.waiters.splice(0)) w.reject(new Error(msg));
  }
  /** the next message of this type */
  wait(type) {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve, reject }));
  }
  send(m) {
    if (this.child.connected) this.child.send(m, () => {});
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Run body(spawn) with a time limit; whatever happens, every worker spawned is
// told to exit, killed if it does not, and reaped before this returns.
async function supervise(body) {
  const workers = [];
  const spawn = (lib, role, args) => {
    const w = new Worker(lib, role, args);
    workers.push(w);
    return w;
  };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { timeout: true })), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([body(spawn), timeout]);
  } catch (e) {
    let message = e.message;
    if (e.timeout) {
      // ask what each child was doing, for the report
      for (const w of workers) w.send({ cmd: "status" });
      await sleep(500);
      const states = workers.map((w) => {
        if (w.exit) return `${w.name}: exited (${w.exit.code ?? w.exit.signal})`;
        const s = w.statusMsg;
        return s ? `${w.name}: ${s.phase}, sent ${s.sent}, received ${s.received}` : `${w.name}: no answer (event loop busy or stuck)`;
      });
      message = `timed out after ${RUN_TIMEOUT_MS / 1000} s — ${states.join("; ")}`;
    }
    const err = workers.map((w) => w.stderr.trim()).filter(Boolean).join("\n");
    throw Object.assign(new Error(message), { stderr: err });
  } finally {
    clearTimeout(timer);
    for (const w of workers) w.send({ cmd: "exit" });
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(2_000)]);
    for (const w of workers) if (!w.exit) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
  }
}

// --- one run of one case for one library -------------------------------------

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function runOnce(c, lib) {
  const size = c.size;
  const count = countOf(c);
  if (c.kind === "pushpull") {
    return supervise(async (spawn) => {
      let recv, send;
      if (c.dial) {
        recv = spawn(lib, "pull", { dial: true, size });
        send = spawn(lib, "push", { bind: true, endpoint: endpointFor(c.transport), size, count, maxMs: MAX_MS });
        const { endpoint } = await send.wait("ready");
        await recv.wait("ready");
        recv.send({ cmd: "connect", endpoint });
        send.send({ cmd: "go" });
      } else {
        recv = spawn(lib, "pull", { endpoint: endpointFor(c.transport), size });
        send = spawn(lib, "push", { size, count, maxMs: MAX_MS });
        const { endpoint } = await recv.wait("ready");
        await send.wait("ready");
        send.send({ cmd: "connect", endpoint });
      }
      const s = await send.wait("result");
      const r = await recv.wait("result");
      check(r.received === s.sent, `receiver got ${r.received} of ${s.sent} messages`);
      check(r.badSize === 0, `${r.badSize} messages had the wrong size`);
      return throughput(c, r, s, {
        receiverRssPeak: Math.max(r.maxRSS, r.rssPeakSampled),
        receiverRssPeakSampled: r.rssPeakSampled,
        senderRssStart: s.rssStart,
        senderRssEnd: s.rssEnd,
      });
    });
  }
  if (c.kind === "inproc") {
    return supervise(async (spawn) => {
      const w = spawn(lib, "inproc", { size, count, maxMs: MAX_MS });
      const r = await w.wait("result");
      check(r.received === r.sent, `receiver got ${r.received} of ${r.sent} messages`);
      check(r.badSize === 0, `${r.badSize} messages had the wrong size`);
      return throughput(c, r, r, { processRssPeak: Math.max(r.maxRSS, r.rssPeakSampled), rssStart: r.rssStart });
    });
  }
  if (c.kind === "reqrep") {
    return supervise(async (spawn) => {
      const rep = spawn(lib, "rep", { endpoint: endpointFor("tcp"), size });
      const req = spawn(lib, "req", { size, count, warmup: countOf(c, "warmup"), maxMs: MAX_MS });
      const { endpoint } = await rep.wait("ready");
      await req.wait("ready");
      req.send({ cmd: "connect", endpoint });
      const r = await req.wait("result");
      check(r.roundTrips > 0, "no round trip completed");
      check(r.badSize === 0, `${r.badSize} replies had the wrong size`);
      const L = r.latencyUs;
      return {
        messages: r.roundTrips,
        capped: r.capped,
        p50Us: L.p50,
        p99Us: L.p99,
        latencyUs: L,
        roundTripsPerSec: r.roundTrips / (r.totalMs / 1000),
      };
    });
  }
  if (c.kind === "pubsub") {
    return supervise(async (spawn) => {
      const pub = spawn(lib, "pub", { endpoint: endpointFor("tcp"), size, count, maxMs: MAX_MS, endMs: RUN_TIMEOUT_MS });
      const { endpoint } = await pub.wait("ready");
      const subs = [];
      for (let i = 0; i < c.subs; i++) subs.push(spawn(lib, "sub", { endpoint, size }));
      await Promise.all(subs.map((s) => s.wait("ready"))); // each has seen a probe
      pub.send({ cmd: "go" });
      const p = await pub.wait("result");
      const rs = await Promise.all(subs.map((s) => s.wait("result")));
      pub.send({ cmd: "stop" });
      for (const [i, r] of rs.entries()) {
        check(r.received <= p.sent, `subscriber ${i} got ${r.received} > ${p.sent} sent`);
        check(r.received > 0, `subscriber ${i} got no data message (${p.sent} sent)`);
        check(r.badSize === 0, `subscriber ${i}: ${r.badSize} malformed messages`);
      }
      const delivered = rs.reduce((a, r) => a + r.received, 0);
      const span = Math.max(...rs.map((r) => r.t1)) - Math.min(...rs.map((r) => r.t0));
      return {
        messages: p.sent,
        capped: p.capped,
        delivered,
        perSubscriber: rs.map((r) => r.received),
        dropPct: (100 * (1 - delivered / (p.sent * c.subs))),
        deliveredPerSec: span > 0 ? delivered / (span / 1000) : NaN,
        publishPerSec: p.sent / (p.sendMs / 1000),
        spanMs: span,
        subscriberRssPeak: Math.max(...rs.map((r) => Math.max(r.maxRSS, r.rssPeakSampled))),
      };
    });
  }
  throw new Error(`unknown kind ${c.kind}`);
}

function throughput(c, r, s, extra) {
  const secs = r.elapsedMs / 1000;
  const msgPerSec = r.received > 1 && secs > 0 ? (r.received - 1) / secs : NaN;
  return {
    messages: r.received,
    capped: s.capped,
    elapsedMs: r.elapsedMs,
    msgPerSec,
    MBps: (msgPerSec * c.size) / 1e6,
    ...extra,
  };
}

// --- statistics and formatting -------------------------------------------------

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function summarize(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length } : null;
}

function fmtSize(b) {
  if (b >= MiB) return `${b / MiB} MiB`;
  if (b >= KiB) return `${b / KiB} KiB`;
  return `${b} B`;
}
function fmtNum(x) {
  if (!Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const fmtMiB = (b) => (Number.isFinite(b) ? `${(b / MiB).toFixed(1)} MiB` : "—");

// --- the suite ------------------------------------------------------------------

function gitInfo() {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
    return { commit, dirty };
  } catch {
    return null;
  }
}

function checkBuild() {
  const dist = join(root, "dist", "index.js");
  if (!existsSync(dist)) {
    console.error("dist/index.js is missing: run `npm run build` first");
    process.exit(2);
  }
  const built = statSync(dist).mtimeMs;
  let newest = 0;
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ["lib", "patterns", "transports"]) walk(join(root, d));
  if (newest > built) console.warn("warning: sources are newer than dist/ — run `npm run build` to bench the current code\n");
}

async function main() {
  checkBuild();
  const zmqPkg = JSON.parse(readFileSync(join(root, "node_modules", "zeromq", "package.json"), "utf8"));
  const omqPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavgStart: os.loadavg(),
  };
  const started = Date.now();
  const result = {
    date: new Date(started).toISOString(),
    mode: QUICK ? "quick" : "full",
    runs: RUNS,
    maxMsPerRun: MAX_MS,
    timeoutMsPerRun: RUN_TIMEOUT_MS,
    versions: { omq: omqPkg.version, git: gitInfo(), zeromq: zmqPkg.version },
    machine,
    cases: [],
  };

  console.log(
    `omq vs zeromq ${zmqPkg.version} — ${QUICK ? "quick" : "full"} mode, ${RUNS} alternating runs per case` +
      ` — ${machine.cpus}× ${machine.cpuModel}, node ${process.version}, load ${machine.loadavgStart.map((x) => x.toFixed(2)).join(" ")}\n`,
  );

  console.log("progress: o = omq, z = zeromq; ✓ run ok, ~ ok but time-capped, ✗ failed, - skipped\n");
  let failures = 0;
  for (const c of selected) {
    const m = metricOf(c);
    const entry = { id: c.id, title: c.title, kind: c.kind, transport: c.transport ?? (c.kind === "inproc" ? "inproc" : "tcp"), size: c.size, messagesPerRun: countOf(c), metric: m, samples: [] };
    if (c.subs) entry.subscribers = c.subs;
    result.cases.push(entry);
    const dead = new Set(); // a library that failed this case is not run again on it
    process.stdout.write(`${c.id.padEnd(11)} `);
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? LIBS : [...LIBS].reverse();
      for (const lib of order) {
        if (dead.has(lib)) continue;
        const sample = { lib, run };
        if (Date.now() - started > BUDGET_MS) {
          Object.assign(sample, { ok: false, skipped: true, error: `skipped: suite time budget of ${BUDGET_MS / 1000} s used up` });
          dead.add(lib);
          failures++;
          entry.samples.push(sample);
          process.stdout.write(`${lib[0]}- `);
          continue;
        }
        const t = Date.now();
        try {
          Object.assign(sample, { ok: true }, await runOnce(c, lib));
          process.stdout.write(`${lib[0]}${sample.capped ? "~" : "✓"} `);
        } catch (e) {
          Object.assign(sample, { ok: false, error: e.message, stderr: e.stderr || undefined });
          dead.add(lib);
          failures++;
          process.stdout.write(`${lib[0]}✗ `);
        }
        sample.wallMs = Date.now() - t;
        entry.samples.push(sample);
      }
    }
    entry.summary = {};
    for (const lib of LIBS) {
      const ok = entry.samples.filter((s) => s.lib === lib && s.ok);
      entry.summary[lib] = {
        runsOk: ok.length,
        runsFailed: entry.samples.filter((s) => s.lib === lib && !s.ok).length,
        [m.key]: summarize(ok.map((s) => s[m.key])),
        ...(c.kind === "reqrep" ? { p99Us: summarize(ok.map((s) => s.p99Us)) } : {}),
        ...(c.kind === "pubsub" ? { dropPct: summarize(ok.map((s) => s.dropPct)) } : {}),
        ...(c.kind === "pushpull" ? { msgPerSec: summarize(ok.map((s) => s.msgPerSec)), MBps: summarize(ok.map((s) => s.MBps)) } : {}),
        ...(c.kind === "pushpull" ? { receiverRssPeak: summarize(ok.map((s) => s.receiverRssPeak)), senderRssStart: summarize(ok.map((s) => s.senderRssStart)), senderRssEnd: summarize(ok.map((s) => s.senderRssEnd)) } : {}),
      };
    }
    const o = entry.summary.omq[m.key];
    const z = entry.summary.zeromq[m.key];
    entry.ratio = o && z ? o.median / z.median : null;
    const errs = entry.samples.filter((s) => !s.ok);
    process.stdout.write(errs.length ? ` FAILED\n` : "\n");
    for (const s of errs) {
      console.log(`    ${s.lib} run ${s.run}: ${s.error}`);
      if (s.stderr) console.log(s.stderr.split("\n").slice(-6).map((l) => `      | ${l}`).join("\n"));
    }
  }
  machine.loadavgEnd = os.loadavg();
  result.durationMs = Date.now() - started;
  result.failures = failures;

  printTable(result);

  const dir = join(here, "results");
  mkdirSync(dir, { recursive: true });
  const jsonPath = join(dir, `${outName}.json`);
  const svgPath = join(dir, `${outName}.svg`);
  writeAtomic(jsonPath, JSON.stringify(result, null, 1) + "\n");
  writeAtomic(svgPath, renderSvg(result));
  console.log(`\nwrote ${rel(jsonPath)} and ${rel(svgPath)} in ${(result.durationMs / 1000).toFixed(1)} s`);
  if (failures) {
    console.log(`${failures} run(s) failed — see above`);
    process.exitCode = 1;
  }
}

function rel(p) {
  return p.startsWith(root) ? p.slice(root.length + 1) : p;
}
function writeAtomic(path, text) {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function printTable(result) {
  const rows = [["case", "unit", "omq median [min–max]", "zeromq median [min–max]", "omq/zeromq", "notes"]];
  const cell = (s) => (s ? `${fmtNum(s.median)} [${fmtNum(s.min)}–${fmtNum(s.max)}]` : "failed");
  for (const e of result.cases) {
    const m = e.metric;
    const o = e.summary.omq;
    const z = e.summary.zeromq;
    let ratio = e.ratio === null ? "—" : `${e.ratio.toFixed(2)}×`;
    if (e.ratio !== null) ratio += m.better === "higher" ? " ↑" : " ↓";
    const notes = [];
    if (e.kind === "reqrep") notes.push(`p99 ${fmtNum(o.p99Us?.median)} vs ${fmtNum(z.p99Us?.median)} µs`);
    if (e.kind === "pubsub") notes.push(`dropped ${fmtPct(o.dropPct?.median)} vs ${fmtPct(z.dropPct?.median)}`);
    if (e.kind === "pushpull" && m.key === "MBps") notes.push(`${fmtNum(o.msgPerSec?.median)} vs ${fmtNum(z.msgPerSec?.median)} msg/s`);
    if (e.kind === "pushpull" && m.key === "msgPerSec") notes.push(`${fmtNum(o.MBps?.median)} vs ${fmtNum(z.MBps?.median)} MB/s`);
    const capped = LIBS.filter((l) => e.samples.some((s) => s.lib === l && s.ok && s.capped));
    if (capped.length) notes.push(`time-capped: ${capped.join(", ")}`);
    rows.push([e.title, m.unit, cell(o[m.key]), cell(z[m.key]), ratio, notes.join("; ")]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd();
  console.log("\n" + line(rows[0]));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("↑ higher is better (ratio > 1: omq faster); ↓ lower is better (ratio < 1: omq faster). MB = 10^6 bytes.");

  const mem = result.cases.find((e) => e.id === "tcp-16");
  if (mem) {
    console.log("\nmemory, PUSH→PULL tcp 16 B (medians over runs):");
    for (const lib of LIBS) {
      const s = mem.summary[lib];
      if (!s.runsOk) {
        console.log(`  ${lib.padEnd(7)} failed`);
        continue;
      }
      console.log(
        `  ${lib.padEnd(7)} receiver peak RSS ${fmtMiB(s.receiverRssPeak?.median)}` +
          `   sender RSS ${fmtMiB(s.senderRssStart?.median)} at start → ${fmtMiB(s.senderRssEnd?.median)} at end`,
      );
    }
  }
}
function fmtPct(x) {
  return Number.isFinite(x) ? `${x.toFixed(1)}%` : "—";
}

main().catch((e) => {
  killAll();
  console.error(e);
  process.exit(1);
});
