#!/usr/bin/env node
// omq vs zeromq benchmark orchestrator (issue #5). See bench/README.md.
//
//   node bench/run.js [--quick] [--runs=N] [--only=id,id,...] [--out=name] [--list]
//
// Every case runs the same driver (bench/worker.js) once per library per run,
// alternating the order (omq first, then zeromq first, ...; the ws PUSH→PULL
// rows also run jszmq: omq, zeromq, jszmq, then the reverse). Network cases put
// sender and receiver in separate processes. Every run checks that the
// receiver got exactly what the sender sent; a run that fails or exceeds its
// time limit is reported as failed, its processes are killed and reaped, and
// the exit code is non-zero. Every process reports its CPU % over its timed
// part (table notes, JSON). Results: bench/results/<out>.json (every sample)
// and bench/results/<out>.svg (chart). BENCH_OMQ=/path/to/dist/index.js
// benches that build of omq instead of this checkout's dist/.
import { fork, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg } from "./chart.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const WORKER = join(here, "worker.js");
const LOAD = join(here, "load.js"); // the busy third process of reqrep-16-loaded
const LIBS = ["omq", "zeromq"];
// the libraries a case runs (a case's `libs`, else LIBS): the ws PUSH→PULL
// rows also run jszmq (bench/jszmq-adapter.js), shown in their notes only
// (the columns and the ratio stay omq's and zeromq's)
const EXTRA = ["jszmq"];
const libsOf = (c) => c.libs ?? LIBS;

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
// (quick mode is CI's smoke run: a slow CI machine needs about twice this VM's time;
// a full run of every case took 571 s here on 2026-12-03 and skipped the last
// nine, the REQ/REP rows among them, so the full budget is 25 min)
const BUDGET_MS = QUICK ? 200_000 : 1_500_000;

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
  // CURVE (RFC 26) beside the NULL rows above: same sockets, every frame boxed
  { ...pp("curve-tcp-16", "tcp", 16, 2_000_000, 60_000), curve: true, title: "PUSH→PULL tcp 16 B, CURVE" },
  { ...pp("curve-tcp-256", "tcp", 256, 1_500_000, 40_000), curve: true, title: "PUSH→PULL tcp 256 B, CURVE" },
  { ...pp("curve-tcp-64k", "tcp", 64 * KiB, 20_000, 2_000), curve: true, title: "PUSH→PULL tcp 64 KiB, CURVE" },
  // new DEALER, connect, handshake, one round trip, close; `window` at a time:
  // NULL (the connection path alone), then CURVE
  { id: "handshake", kind: "handshake", title: "NULL handshakes to a ROUTER tcp", size: 16, window: 8, count: [3_000, 300], warmup: [100, 30] },
  { id: "curve-handshake", kind: "handshake", curve: true, title: "CURVE handshakes to a ROUTER tcp", size: 16, window: 8, count: [3_000, 300], warmup: [100, 30] },
  pp("ipc-16", "ipc", 16, 5_000_000, 100_000),
  pp("ipc-256", "ipc", 256, 3_000_000, 80_000),
  pp("ipc-4k", "ipc", 4 * KiB, 450_000, 30_000),
  pp("ipc-64k", "ipc", 64 * KiB, 40_000, 4_000),
  pp("ipc-1m", "ipc", MiB, 2_000, 200),
  // ZWS 2.0: the PULL binds (the server unmasks), the PUSH dials (it masks every frame)
  // and jszmq (pure JS, ZWS 2.0 without mechanism) at both ends, in the notes
  { ...pp("ws-16", "ws", 16, 4_000_000, 80_000), libs: [...LIBS, "jszmq"] },
  { ...pp("ws-4k", "ws", 4 * KiB, 400_000, 25_000), libs: [...LIBS, "jszmq"] },
  { ...pp("ws-64k", "ws", 64 * KiB, 30_000, 3_000), libs: [...LIBS, "jszmq"] },
  { id: "inproc-16", kind: "inproc", title: "PUSH→PULL inproc 16 B, 1 process", size: 16, count: [6_000_000, 100_000] },
  // the same pipe between the main thread and a worker thread (issue #13)
  { id: "thread-16", kind: "inproc", thread: true, title: "PUSH→PULL inproc 16 B, worker thread → main thread", size: 16, count: [4_000_000, 80_000] },
  // zeromq.js 6.8 aborts in some runs of these ("free(): corrupted unsorted chunks",
  // SIGABRT; its zero-copy frames over 128 B are freed across threads)
  { id: "thread-4k", kind: "inproc", thread: true, knownCrash: { zeromq: "zeromq.js aborts (SIGABRT) in some runs with frames over 128 B across threads" },
    title: "PUSH→PULL inproc 4 KiB, worker thread → main thread (zeromq.js may abort)", size: 4 * KiB, count: [600_000, 20_000] },
  { id: "thread-64k", kind: "inproc", thread: true, knownCrash: { zeromq: "zeromq.js aborts (SIGABRT) in some runs with frames over 128 B across threads" },
    title: "PUSH→PULL inproc 64 KiB, worker thread → main thread (zeromq.js may abort)", size: 64 * KiB, count: [40_000, 2_000] },
  // REQ in the main thread, REP in a worker thread, inproc (issue #13)
  { id: "thread-rr-16", kind: "reqrep", thread: true, title: "REQ↔REP inproc 16 B, main thread ↔ worker thread", size: 16, count: [100_000, 5_000], warmup: [2_000, 200] },
  { id: "thread-rr-4k", kind: "reqrep", thread: true, knownCrash: { zeromq: "zeromq.js aborts (SIGABRT) in some runs with frames over 128 B across threads" },
    title: "REQ↔REP inproc 4 KiB, main thread ↔ worker thread (zeromq.js may abort)", size: 4 * KiB, count: [50_000, 3_000], warmup: [1_000, 200] },
  { id: "thread-rr-64k", kind: "reqrep", thread: true, knownCrash: { zeromq: "zeromq.js aborts (SIGABRT) in some runs with frames over 128 B across threads" },
    title: "REQ↔REP inproc 64 KiB, main thread ↔ worker thread (zeromq.js may abort)", size: 64 * KiB, count: [10_000, 1_000], warmup: [200, 50] },
  { id: "reqrep-16", kind: "reqrep", title: "REQ↔REP tcp 16 B round trip", size: 16, count: [40_000, 4_000], warmup: [1_000, 200] },
  // the same while a third process (bench/load.js) spins on a core: REQ, REP
  // and it share the machine's (2) cores
  { id: "reqrep-16-loaded", kind: "reqrep", load: true, title: "REQ↔REP tcp 16 B, busy third process", size: 16, count: [40_000, 4_000], warmup: [1_000, 200] },
  // the loaded case again with omq's busy polling off: what the adaptive rule must not fall below
  { id: "reqrep-16-loaded-bp0", kind: "reqrep", load: true, omqOptions: { busyPoll: 0 }, title: "REQ↔REP tcp 16 B, busy third process, omq busyPoll 0", size: 16, count: [40_000, 4_000], warmup: [1_000, 200] },
  { id: "pubsub-64", kind: "pubsub", title: "PUB→4 SUB tcp 64 B", size: 64, subs: 4, count: [1_000_000, 20_000] },
  // long waits, CPU only: what a process costs while it waits
  { id: "idle-pull", kind: "idlecpu", title: "idle PULL waiting in receive", size: 16, idleMs: [1_000, 300] },
  { id: "slow-rep-20ms", kind: "reqrep", title: "REQ waiting for a slow REP (20 ms)", size: 16, delayMs: 20, count: [50, 10], warmup: [3, 2], maxMs: RUN_TIMEOUT_MS / 2 },
  // scale: one ROUTER process, one process with `conns` DEALER sockets, each
  // with its own tcp connection. Memory is reported per connection, so the
  // quick mode's smaller count is comparable (the ids keep "1000").
  { id: "scale-idle-1000", kind: "idle", title: `${QUICK ? 200 : 1000} idle DEALERs→ROUTER tcp`, size: 16, conns: [1000, 200], idleMs: [500, 300] },
  { id: "scale-router-1000", kind: "routerrt", title: `ROUTER with ${QUICK ? 200 : 1000} DEALERs tcp 16 B`, size: 16, conns: [1000, 200], window: 100, count: [60_000, 10_000], warmup: [5_000, 1_000] },
];
// memory per connection: the goals (bench/README.md) are checked in the table
const IDLE_METRICS = [
  { key: "dealerAbKiB", side: "dealer", what: "arrayBuffers", unit: "KiB/conn", better: "lower", label: "dealer side arrayBuffers per connection", goalKiB: 32 },
  { key: "dealerRssKiB", side: "dealer", what: "RSS", unit: "KiB/conn", better: "lower", label: "dealer side RSS per connection", goalZeromq: true },
  { key: "routerAbKiB", side: "router", what: "arrayBuffers", unit: "KiB/conn", better: "lower", label: "router side arrayBuffers per connection", goalKiB: 32 },
  { key: "routerRssKiB", side: "router", what: "RSS", unit: "KiB/conn", better: "lower", label: "router side RSS per connection", goalZeromq: true },
];
let childCount = 0;
function nodeArgs(lib, role, extra = []) {
  const a = process.env.BENCH_NODE_ARGS;
  if (!a) return extra;
  const n = ++childCount;
  return [...extra, ...a.split(/\s+/).filter(Boolean).map((x) => x.replaceAll("{lib}", lib).replaceAll("{role}", role).replaceAll("{n}", String(n)))];
}

function pp(id, transport, size, full, quick) {
  return { id, kind: "pushpull", transport, size, title: `PUSH→PULL ${transport} ${fmtSize(size)}`, count: [full, quick] };
}
const countOf = (c, key = "count") => c[key][QUICK ? 1 : 0];

/** A round-trip case's sample from the REQ's result (`echoed`: what the REP counted). */
function roundTrips(r, echoed, warmup, extra) {
  check(r.roundTrips > 0, "no round trip completed");
  check(r.badSize === 0, `${r.badSize} replies had the wrong size`);
  check(echoed === warmup + r.roundTrips, `the REP echoed ${echoed} requests, the REQ made ${warmup + r.roundTrips}`);
  const L = r.latencyUs;
  return {
    messages: r.roundTrips,
    capped: r.capped,
    p50Us: L.p50,
    p99Us: L.p99,
    p999Us: L.p999,
    latencyUs: L,
    roundTripsPerSec: r.roundTrips / (r.totalMs / 1000),
    reqCpuPct: r.cpu.pct,
    ...extra,
  };
}

// how each kind is measured: the primary metric, its unit and direction
function metricOf(c) {
  if (c.kind === "reqrep" && c.delayMs) return { key: "reqCpuPct", unit: "% CPU", better: "lower", label: "CPU of the waiting REQ process", cpu: true };
  if (c.kind === "idlecpu") return { key: "idleCpuPct", unit: "% CPU", better: "lower", label: "CPU of the idle PULL process", cpu: true };
  if (c.kind === "reqrep") return { key: "p50Us", unit: "µs", better: "lower", label: "median round trip" };
  if (c.kind === "pubsub") return { key: "deliveredPerSec", unit: "msg/s", better: "higher", label: "delivered msg/s (all subs)" };
  if (c.kind === "idle") return IDLE_METRICS[1]; // the primary one; all four are in entry.metrics
  if (c.kind === "handshake") return { key: "handshakesPerSec", unit: "conn/s", better: "higher", label: `connections/s (handshake and one round trip), ${c.window} at a time` };
  if (c.kind === "routerrt") return { key: "roundTripsPerSec", unit: "rt/s", better: "higher", label: `round trips/s, ${c.window} in flight` };
  if (c.size >= 64 * KiB) return { key: "MBps", unit: "MB/s", better: "higher", label: "throughput" };
  return { key: "msgPerSec", unit: "msg/s", better: "higher", label: "throughput" };
}

// the processes whose CPU each kind reports, in the order shown ("a/b%")
function cpuRolesOf(c) {
  if (c.kind === "pushpull") return ["sender", "receiver"];
  if (c.kind === "inproc" || c.thread) return ["process"];
  if (c.kind === "reqrep") return ["requester", "replier"];
  if (c.kind === "pubsub") return ["publisher", "subscriber"]; // subscriber: the mean of the subscribers'
  if (c.kind === "idlecpu") return ["receiver", "sender"];
  return ["dealers", "router"]; // idle, routerrt
}
// CPU shown below 1 % of a core gets no ratio (it would divide by noise)
const CPU_RATIO_MIN = 1;

if (opts.list) {
  for (const c of CASES) console.log(`${c.id.padEnd(17)} ${c.title}`);
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
  if (transport === "ws") return "ws://127.0.0.1:*/bench";
  ipcDir ??= mkdtempSync(join(os.tmpdir(), "omq-bench-"));
  return `ipc://${join(ipcDir, `e${endpointSeq++}.sock`)}`;
}

class Worker {
  constructor(lib, role, args, execArgv = [], script = WORKER) {
    this.name = `${role}(${lib})`;
    this.inbox = [];
    this.waiters = [];
    this.stderr = "";
    this.failure = null;
    this.statusMsg = null;
    this.child = fork(script, [lib, role, JSON.stringify({ ...args, hardMs: RUN_TIMEOUT_MS + 5_000 })], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // profiling aid: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-name={lib}-{role}-{n}.cpuprofile"
      execArgv: nodeArgs(lib, role, execArgv),
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
  const spawn = (lib, role, args, execArgv, script) => {
    const w = new Worker(lib, role, args, execArgv, script);
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
  const count = c.count ? countOf(c) : undefined;
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
        recv = spawn(lib, "pull", { endpoint: endpointFor(c.transport), size, curve: c.curve });
        send = spawn(lib, "push", { size, count, maxMs: MAX_MS, curve: c.curve });
        const { endpoint } = await recv.wait("ready");
        await send.wait("ready");
        send.send({ cmd: "connect", endpoint });
      }
      const s = await send.wait("result");
      const r = await recv.wait("result");
      check(r.received === s.sent, `receiver got ${r.received} of ${s.sent} messages`);
      check(r.badSize === 0, `${r.badSize} messages had the wrong size`);
      return throughput(c, r, s, {
        cpu: { sender: s.cpu, receiver: r.cpu },
        receiverRssPeak: Math.max(r.maxRSS, r.rssPeakSampled),
        receiverRssPeakSampled: r.rssPeakSampled,
        senderRssStart: s.rssStart,
        senderRssEnd: s.rssEnd,
      });
    });
  }
  if (c.kind === "inproc") {
    return supervise(async (spawn) => {
      const w = spawn(lib, c.thread ? "inprocThread" : "inproc", { size, count, maxMs: MAX_MS });
      const r = await w.wait("result");
      check(r.received === r.sent, `receiver got ${r.received} of ${r.sent} messages`);
      check(r.badSize === 0, `${r.badSize} messages had the wrong size`);
      return throughput(c, r, r, { cpu: { process: r.cpu }, processRssPeak: Math.max(r.maxRSS, r.rssPeakSampled), rssStart: r.rssStart });
    });
  }
  if (c.kind === "reqrep" && c.thread) {
    return supervise(async (spawn) => {
      const warmup = countOf(c, "warmup");
      const w = spawn(lib, "threadReqRep", { size, count, warmup, maxMs: c.maxMs ?? MAX_MS });
      const r = await w.wait("result");
      return roundTrips(r, r.echoed, warmup, { cpu: { process: r.cpu } });
    });
  }
  if (c.kind === "reqrep") {
    return supervise(async (spawn) => {
      let load = null;
      if (c.load) {
        // the busy third process, spinning before REQ and REP start; killed
        // and reaped with them by supervise(), whatever happens
        load = spawn(lib, "load", {}, [], LOAD);
        await load.wait("ready");
      }
      const warmup = countOf(c, "warmup");
      const rep = spawn(lib, "rep", { endpoint: endpointFor("tcp"), size, delayMs: c.delayMs, omqOptions: c.omqOptions });
      const req = spawn(lib, "req", { size, count, warmup, maxMs: c.maxMs ?? MAX_MS, omqOptions: c.omqOptions });
      const { endpoint } = await rep.wait("ready");
      await req.wait("ready");
      req.send({ cmd: "connect", endpoint });
      await req.wait("measuring");
      load?.send({ cmd: "cpu-start" });
      const r = await req.wait("result");
      load?.send({ cmd: "report" });
      const p = await rep.wait("result"); // sent on the REQ's CPU_STOP request
      const l = load ? await load.wait("result") : null;
      return roundTrips(r, p.received, warmup, { cpu: { requester: r.cpu, replier: p.cpu }, ...(l ? { loadCpu: l.cpu, loadCpuPct: l.cpu?.pct } : {}) });
    });
  }
  if (c.kind === "idlecpu") {
    return supervise(async (spawn) => {
      const idleMs = countOf(c, "idleMs");
      const pull = spawn(lib, "idlepull", { endpoint: endpointFor("tcp"), idleMs });
      const push = spawn(lib, "idlepush", { idleMs });
      const { endpoint } = await pull.wait("ready");
      await push.wait("ready");
      push.send({ cmd: "connect", endpoint });
      const pi = await pull.wait("idle");
      const si = await push.wait("idle");
      push.send({ cmd: "go" }); // the end marker: the PULL's receive must still work
      const r = await pull.wait("result");
      check(r.received === 2 && r.bad === 0, `the idle PULL got ${r.received} messages (${r.bad} wrong), expected hello and the end marker`);
      return { messages: r.received, idleMs, idleCpuPct: pi.cpu.pct, cpu: { receiver: pi.cpu, sender: si.cpu } };
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
      const subCpu = rs.map((r) => r.cpu);
      const mean = (xs) => xs.reduce((a, x) => a + x, 0) / xs.length;
      // "subscriber": the mean of the subscribers' (each over its own first data message to end marker)
      const subscriber = {
        pct: mean(subCpu.map((x) => x.pct)),
        userMs: mean(subCpu.map((x) => x.userMs)),
        systemMs: mean(subCpu.map((x) => x.systemMs)),
        wallMs: mean(subCpu.map((x) => x.wallMs)),
        meanOf: subCpu.length,
      };
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
        cpu: { publisher: p.cpu, subscriber },
        subscriberCpu: subCpu,
      };
    });
  }
  if (c.kind === "idle") {
    return supervise(async (spawn) => {
      const n = countOf(c, "conns");
      // --expose-gc: both sides take their snapshots after a full GC
      const router = spawn(lib, "router", { endpoint: endpointFor("tcp"), n, measure: true }, ["--expose-gc"]);
      const dealers = spawn(lib, "dealers", { n, size, mode: "idle", idleMs: countOf(c, "idleMs") }, ["--expose-gc"]);
      const { endpoint } = await router.wait("ready");
      await dealers.wait("ready");
      dealers.send({ cmd: "connect", endpoint });
      await dealers.wait("warm"); // one DEALER connected and round-tripped; the dealer side's baseline is taken
      router.send({ cmd: "baseline" });
      await router.wait("baseline"); // the router side's, with that one connection
      dealers.send({ cmd: "go" });
      await dealers.wait("cpu-start"); // n more connected and round-tripped; now idle
      router.send({ cmd: "cpu-start" });
      const d = await dealers.wait("result"); // n more connected, idle, measured
      router.send({ cmd: "report" });
      const r = await router.wait("result");
      checkScale(d, r, n);
      const per = (snap, key) => (snap.after[key] - snap.before[key]) / n / KiB;
      const side = (snap) => ({ before: snap.before, after: snap.after });
      return {
        messages: d.sent,
        connections: n,
        connectMs: d.connectMs,
        gc: d.after.gc && r.after.gc,
        dealerAbKiB: per(d, "arrayBuffers"),
        dealerRssKiB: per(d, "rss"),
        dealerHeapKiB: per(d, "heapUsed"),
        dealerExternalKiB: per(d, "external"),
        routerAbKiB: per(r, "arrayBuffers"),
        routerRssKiB: per(r, "rss"),
        routerHeapKiB: per(r, "heapUsed"),
        routerExternalKiB: per(r, "external"),
        dealerSide: side(d),
        routerSide: side(r),
        cpu: { dealers: d.cpu, router: r.cpu },
      };
    });
  }
  if (c.kind === "handshake") {
    return supervise(async (spawn) => {
      const curve = c.curve === true;
      const router = spawn(lib, "router", { endpoint: endpointFor("tcp"), n: 64, curve });
      const clients = spawn(lib, "handshakes", { count, window: c.window, size, maxMs: MAX_MS, warmup: countOf(c, "warmup"), curve });
      const { endpoint } = await router.wait("ready");
      await clients.wait("ready");
      router.send({ cmd: "cpu-start" });
      clients.send({ cmd: "connect", endpoint });
      const d = await clients.wait("result");
      router.send({ cmd: "report" });
      const r = await router.wait("result");
      check(d.done > 0 && d.bad === 0, `${d.done} handshakes, ${d.bad} bad replies`);
      return {
        messages: d.done,
        capped: d.capped,
        handshakesPerSec: d.done / (d.elapsedMs / 1000),
        cpu: { dealers: d.cpu, router: r.cpu },
      };
    });
  }
  if (c.kind === "routerrt") {
    return supervise(async (spawn) => {
      const n = countOf(c, "conns");
      const router = spawn(lib, "router", { endpoint: endpointFor("tcp"), n });
      const dealers = spawn(lib, "dealers", { n, size, mode: "rt", window: c.window, count, warmup: countOf(c, "warmup"), maxMs: MAX_MS });
      const { endpoint } = await router.wait("ready");
      await dealers.wait("ready");
      dealers.send({ cmd: "connect", endpoint });
      await dealers.wait("warm");
      dealers.send({ cmd: "go" });
      await dealers.wait("cpu-start"); // warmed up; the timed part begins
      router.send({ cmd: "cpu-start" });
      const d = await dealers.wait("result");
      router.send({ cmd: "report" });
      const r = await router.wait("result");
      checkScale(d, r, n);
      check(d.roundTrips > 0, "no timed round trip completed");
      return {
        messages: d.roundTrips,
        capped: d.capped,
        connections: n,
        window: d.window,
        connectMs: d.connectMs,
        elapsedMs: d.elapsedMs,
        roundTripsPerSec: d.roundTrips / (d.elapsedMs / 1000),
        cpu: { dealers: d.cpu, router: r.cpu },
      };
    });
  }
  throw new Error(`unknown kind ${c.kind}`);
}

// every request got exactly one reply, with its own DEALER's index in it, and
// the ROUTER saw and echoed exactly the requests sent
function checkScale(d, r, n) {
  check(d.received === d.sent, `the DEALERs got ${d.received} replies to ${d.sent} requests`);
  check(d.bad === 0, `${d.bad} replies reached the wrong DEALER or had the wrong size`);
  check(r.received === d.sent && r.echoed === d.sent, `the ROUTER received ${r.received} and echoed ${r.echoed} of ${d.sent} requests`);
  check(d.sent >= n + 1, `only ${d.sent} requests for ${n + 1} DEALERs`);
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
  if (process.env.BENCH_OMQ) {
    // another build of omq (worker.js imports it instead of "omq")
    if (!existsSync(process.env.BENCH_OMQ)) {
      console.error(`BENCH_OMQ=${process.env.BENCH_OMQ} does not exist`);
      process.exit(2);
    }
    console.log(`omq from BENCH_OMQ=${process.env.BENCH_OMQ}\n`);
    return;
  }
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
  const extras = EXTRA.filter((l) => selected.some((c) => libsOf(c).includes(l)));
  const extraVersions = Object.fromEntries(
    extras.map((l) => [l, JSON.parse(readFileSync(join(root, "node_modules", l, "package.json"), "utf8")).version]),
  );
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
    versions: { omq: omqPkg.version, git: gitInfo(), zeromq: zmqPkg.version, ...extraVersions, ...(process.env.BENCH_OMQ ? { omqPath: process.env.BENCH_OMQ } : {}) },
    machine,
    cases: [],
  };

  console.log(
    `omq vs zeromq ${zmqPkg.version} — ${QUICK ? "quick" : "full"} mode, ${RUNS} alternating runs per case` +
      ` — ${machine.cpus}× ${machine.cpuModel}, node ${process.version}, load ${machine.loadavgStart.map((x) => x.toFixed(2)).join(" ")}\n`,
  );

  console.log(`progress: o = omq, z = zeromq${extras.map((l) => `, ${l[0]} = ${l}`).join("")}; ✓ run ok, ~ ok but time-capped, ✗ failed, - skipped\n`);
  let failures = 0;
  for (const c of selected) {
    const m = metricOf(c);
    const entry = { id: c.id, title: c.title, kind: c.kind, transport: c.transport ?? (c.kind === "inproc" ? "inproc" : "tcp"), size: c.size, messagesPerRun: c.count ? countOf(c) : undefined, metric: m, samples: [] };
    if (c.subs) entry.subscribers = c.subs;
    if (c.conns) entry.connections = countOf(c, "conns");
    if (c.window) entry.window = c.window;
    if (c.kind === "idle") entry.metrics = IDLE_METRICS;
    entry.cpuRoles = cpuRolesOf(c);
    if (c.delayMs) entry.replyDelayMs = c.delayMs;
    if (c.idleMs) entry.idleMs = countOf(c, "idleMs");
    if (c.load) entry.busyProcess = "bench/load.js";
    const libs = libsOf(c);
    if (c.libs) entry.libs = libs;
    result.cases.push(entry);
    const dead = new Set(); // a library that failed this case is not run again on it
    process.stdout.write(`${c.id.padEnd(17)} `);
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? libs : [...libs].reverse();
      for (const lib of order) {
        if (dead.has(lib)) continue;
        const sample = { lib, run };
        if (Date.now() - started > BUDGET_MS) {
          Object.assign(sample, { ok: false, skipped: true, error: `skipped: suite time budget of ${BUDGET_MS / 1000} s used up` });
          dead.add(lib);
          // a case this library already delivered in once has been smoke-tested; one it never ran has not
          if (!entry.samples.some((s) => s.lib === lib && s.ok)) failures++;
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
          // a crash of the other library that is known (and reported in the
          // title) does not fail omq's smoke run
          if (c.knownCrash?.[lib] && /signal SIG(ABRT|SEGV)/.test(e.message)) {
            sample.knownCrash = c.knownCrash[lib];
            process.stdout.write(`${lib[0]}! `);
          } else {
            failures++;
            process.stdout.write(`${lib[0]}✗ `);
          }
        }
        sample.wallMs = Date.now() - t;
        entry.samples.push(sample);
      }
    }
    entry.summary = {};
    for (const lib of libs) {
      const ok = entry.samples.filter((s) => s.lib === lib && s.ok);
      entry.summary[lib] = {
        runsOk: ok.length,
        runsFailed: entry.samples.filter((s) => s.lib === lib && !s.ok).length,
        [m.key]: summarize(ok.map((s) => s[m.key])),
        ...(c.kind === "reqrep" ? { p50Us: summarize(ok.map((s) => s.p50Us)) } : {}),
        // (the slow-server case has too few round trips for tail percentiles; its samples still have latencyUs)
        ...(c.kind === "reqrep" && !c.delayMs ? { p99Us: summarize(ok.map((s) => s.p99Us)), p999Us: summarize(ok.map((s) => s.p999Us)) } : {}),
        ...(c.load ? { loadCpuPct: summarize(ok.map((s) => s.loadCpuPct)) } : {}),
        // CPU % per process (100 = one core), median over the runs
        cpu: Object.fromEntries(entry.cpuRoles.map((r) => [r, summarize(ok.map((s) => s.cpu?.[r]?.pct))])),
        ...(c.kind === "pubsub" ? { dropPct: summarize(ok.map((s) => s.dropPct)) } : {}),
        ...(c.kind === "pushpull" ? { msgPerSec: summarize(ok.map((s) => s.msgPerSec)), MBps: summarize(ok.map((s) => s.MBps)) } : {}),
        ...(c.kind === "pushpull" ? { receiverRssPeak: summarize(ok.map((s) => s.receiverRssPeak)), senderRssStart: summarize(ok.map((s) => s.senderRssStart)), senderRssEnd: summarize(ok.map((s) => s.senderRssEnd)) } : {}),
        ...(c.kind === "idle" ? Object.fromEntries(["dealerAbKiB", "dealerRssKiB", "dealerHeapKiB", "routerAbKiB", "routerRssKiB", "routerHeapKiB"].map((k) => [k, summarize(ok.map((s) => s[k]))])) : {}),
        ...(c.conns ? { connectMs: summarize(ok.map((s) => s.connectMs)) } : {}),
      };
    }
    const ratioOf = (key) => {
      const o = entry.summary.omq[key];
      const z = entry.summary.zeromq[key];
      return o && z && z.median > 0 ? o.median / z.median : null;
    };
    entry.ratio = ratioOf(m.key);
    if (m.cpu && entry.ratio !== null && entry.summary.zeromq[m.key].median < CPU_RATIO_MIN) {
      // a ratio to a CPU % near 0 divides by noise: give the difference instead
      entry.ratio = null;
      entry.difference = entry.summary.omq[m.key].median - entry.summary.zeromq[m.key].median;
      entry.ratioNote = `no ratio: zeromq < ${CPU_RATIO_MIN}% CPU`;
    }
    if (entry.metrics) {
      entry.ratios = Object.fromEntries(entry.metrics.map((x) => [x.key, ratioOf(x.key)]));
      // pass/fail of each goal (bench/README.md), null if omq or zeromq has no result
      entry.goals = {};
      for (const x of entry.metrics) {
        const o = entry.summary.omq[x.key]?.median;
        if (x.goalKiB !== undefined) entry.goals[x.key] = o === undefined ? null : { goal: `≤ ${x.goalKiB} KiB/conn`, met: o <= x.goalKiB };
        if (x.goalZeromq) {
          const z = entry.summary.zeromq[x.key]?.median;
          entry.goals[x.key] = o === undefined || z === undefined ? null : { goal: "≤ zeromq", met: o <= z };
        }
      }
    }
    const errs = entry.samples.filter((s) => !s.ok);
    const failed = errs.some((s) => !s.skipped || !entry.samples.some((t) => t.lib === s.lib && t.ok));
    process.stdout.write(failed ? ` FAILED\n` : errs.length ? " (runs skipped)\n" : "\n");
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
    if (e.kind === "idle") {
      rows.push(...idleRows(e, cell));
      continue;
    }
    const m = e.metric;
    const o = e.summary.omq;
    const z = e.summary.zeromq;
    let ratio = e.ratio === null ? "—" : `${e.ratio.toFixed(2)}×`;
    if (e.ratio !== null) ratio += m.better === "higher" ? " ↑" : " ↓";
    else if (Number.isFinite(e.difference)) ratio = `${e.difference >= 0 ? "+" : ""}${fmtCpu(e.difference)} pts`;
    const notes = [];
    if (e.kind === "reqrep" && e.replyDelayMs) notes.push(`median round trip ${fmtNum(o.p50Us?.median / 1000)} vs ${fmtNum(z.p50Us?.median / 1000)} ms (REP replies after ${e.replyDelayMs} ms)`);
    else if (e.kind === "reqrep") notes.push(`p99 ${fmtNum(o.p99Us?.median)} vs ${fmtNum(z.p99Us?.median)} µs, p99.9 ${fmtNum(o.p999Us?.median)} vs ${fmtNum(z.p999Us?.median)} µs`);
    if (e.kind === "idlecpu") notes.push(`connected, nothing arriving for ${fmtNum(e.idleMs / 1000)} s`);
    if (e.kind === "pubsub") notes.push(`dropped ${fmtPct(o.dropPct?.median)} vs ${fmtPct(z.dropPct?.median)}`);
    if (e.kind === "pushpull" && m.key === "MBps") notes.push(`${fmtNum(o.msgPerSec?.median)} vs ${fmtNum(z.msgPerSec?.median)} msg/s`);
    if (e.kind === "pushpull" && m.key === "msgPerSec") notes.push(`${fmtNum(o.MBps?.median)} vs ${fmtNum(z.MBps?.median)} MB/s`);
    if (e.kind === "routerrt") notes.push(`${e.connections} DEALERs, ${e.window} in flight; connecting (50 at a time) took ${fmtNum(o.connectMs?.median)} vs ${fmtNum(z.connectMs?.median)} ms`);
    // the other libraries of the case (jszmq on the ws rows): median [min–max] of the same metric
    for (const l of (e.libs ?? LIBS).filter((x) => !LIBS.includes(x))) notes.push(`${l} ${e.summary[l]?.runsOk ? cell(e.summary[l][m.key]) : "failed"} ${m.unit}`);
    const capped = (e.libs ?? LIBS).filter((l) => e.samples.some((s) => s.lib === l && s.ok && s.capped));
    if (capped.length) notes.push(`time-capped: ${capped.join(", ")}`);
    if (e.ratioNote) notes.push(e.ratioNote);
    // CPU on a line of its own under the row (the table stays narrow)
    const cpuLines = [cpuNote(e)];
    if (e.busyProcess) cpuLines.push(`busy third process got ${fmtCpu(o.loadCpuPct?.median)} vs ${fmtCpu(z.loadCpuPct?.median)}% CPU`);
    rows.push([e.title, m.unit, cell(o[m.key]), cell(z[m.key]), ratio, notes.join("; ")], ...cpuLines.map((l) => ["", "", "", "", "", l]));
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  const line = (r) => r.map((c, i) => c + " ".repeat(widths[i] - [...c].length)).join("  ").trimEnd();
  console.log("\n" + line(rows[0]));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("CPU: user + system CPU time of each process (all its threads) over its timed part / wall time; 100% = one core.");
  console.log("↑ higher is better (ratio > 1: omq faster); ↓ lower is better (ratio < 1: omq faster or smaller). MB = 10^6 bytes.");
  if (result.cases.some((e) => e.kind === "idle")) console.log("KiB/conn: (after − before) / connections, before = with one DEALER already connected (bench/README.md).");

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
// the idle case: a row per side, each cell "arrayBuffers | RSS" in KiB per
// connection; the ratio is RSS's (zeromq's arrayBuffers are about 0: its
// buffers are native memory, in RSS only)
function idleRows(e, cell) {
  const out = [];
  for (const side of ["dealer", "router"]) {
    const [ab, rss] = e.metrics.filter((x) => x.side === side);
    const both = (lib) => {
      const s = e.summary[lib];
      return s.runsOk ? `${cell(s[ab.key])} | ${cell(s[rss.key])}` : "failed";
    };
    const r = e.ratios[rss.key];
    const goal = (x) => {
      const g = e.goals[x.key];
      return g ? `${x.what} ${g.goal} ${g.met ? "✓" : "✗"}` : `${x.what} ${x.goalKiB !== undefined ? `≤ ${x.goalKiB} KiB/conn` : "≤ zeromq"} ?`;
    };
    const notes = [`omq goals: ${goal(ab)}, ${goal(rss)}`];
    if (side === "dealer") notes.push(`${e.connections} connected (50 at a time) in ${fmtNum(e.summary.omq.connectMs?.median)} vs ${fmtNum(e.summary.zeromq.connectMs?.median)} ms`);
    out.push([`${e.title}: ${side} side (arrayBuffers | RSS)`, "KiB/conn", both("omq"), both("zeromq"), r === null ? "—" : `RSS ${r.toFixed(2)}× ↓`, notes.join("; ")]);
  }
  out.push(["", "", "", "", "", `${cpuNote(e)}, while idle`]);
  return out;
}
// "CPU omq 98/87% vs zeromq 60/75% (sender/receiver)": medians over the runs
function cpuNote(e) {
  const of = (lib) => (e.summary[lib].runsOk ? e.cpuRoles.map((r) => fmtCpu(e.summary[lib].cpu?.[r]?.median)).join("/") + "%" : "failed");
  const roles = e.cpuRoles.map((r) => (r === "subscriber" ? "mean subscriber" : r)).join("/");
  const more = (e.libs ?? LIBS).filter((l) => !LIBS.includes(l)).map((l) => `; ${l} ${of(l)}`).join("");
  return `CPU omq ${of("omq")} vs zeromq ${of("zeromq")} (${roles})${more}`;
}
function fmtCpu(x) {
  if (!Number.isFinite(x)) return "—";
  const a = Math.abs(x);
  return a < 1 ? x.toFixed(2) : a < 10 ? x.toFixed(1) : x.toFixed(0);
}
function fmtPct(x) {
  return Number.isFinite(x) ? `${x.toFixed(1)}%` : "—";
}

main().catch((e) => {
  killAll();
  console.error(e);
  process.exit(1);
});
