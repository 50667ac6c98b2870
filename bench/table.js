#!/usr/bin/env node
// The README's performance rows from full runs pooled: each cell is the
// median [min–max] of every successful sample of that case and library across
// the given result files (three full runs: 15 samples), the ratio that of the
// medians; REQ↔REP rows add the pooled median of each run's p99 and p99.9.
// Then, per file, the figures the latency issue (#16) sets goals for.
//   node bench/table.js bench/results/latest-1.json bench/results/latest-2.json bench/results/latest.json
// With --readme=README.md it also rewrites the cells of the README's
// performance tables (the rows it knows, below) from the same pooled figures;
// the prose around them (dates, per-run figures, notes) is for a person.
import { readFileSync, writeFileSync } from "node:fs";

const readmeArg = process.argv.slice(2).find((a) => a.startsWith("--readme="));
const files = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (files.length === 0) {
  console.error("usage: node bench/table.js [--readme=README.md] <result.json>...");
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, "utf8")));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** 3 significant digits, with k/M for large counts. */
function num(x) {
  const a = Math.abs(x);
  if (a >= 1e6) return `${sig(x / 1e6)}M`;
  if (a >= 1e4) return `${sig(x / 1e3)}k`;
  return sig(x);
}
function sig(x) {
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** Pooled samples of `key` for one case and library. */
function pooled(id, lib, key) {
  const out = [];
  let total = 0;
  for (const r of runs) {
    const c = r.cases.find((x) => x.id === id);
    if (!c) continue;
    // a run that crashed may leave no sample: count the runs asked for
    total += typeof r.runs === "number" ? r.runs : c.samples.filter((s) => s.lib === lib).length;
    for (const s of c.samples) if (s.lib === lib && s.ok && typeof s[key] === "number") out.push(s[key]);
  }
  return { xs: out, total };
}

function cell(id, lib, key, unit) {
  const { xs, total } = pooled(id, lib, key);
  if (xs.length === 0) return { text: "—", med: NaN };
  let f = num;
  let u = unit;
  if (unit === "MB/s" && median(xs) >= 1000) {
    f = (x) => sig(x / 1000);
    u = "GB/s";
  }
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  // one suffix for the range where both ends share it: [2.57–4.03M]
  let [l, h] = [f(lo), f(hi)];
  const suffix = /[kM]$/.exec(h)?.[0];
  if (suffix !== undefined && l.endsWith(suffix)) l = l.slice(0, -1);
  let text = `${f(median(xs))} [${l}–${h}] ${u}`;
  if (xs.length < total) text += ` (${xs.length} of ${total} runs finished)`;
  return { text, med: median(xs) };
}

const ids = [...new Set(runs.flatMap((r) => r.cases.map((c) => c.id)))];
console.log(`| case | omq | zeromq | omq/zeromq | other |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
/** The case `id` as the first run that has it describes it. */
function firstCase(id) {
  return runs.map((r) => r.cases.find((x) => x.id === id)).find(Boolean);
}

for (const id of ids) {
  const c = firstCase(id);
  const key = c.metric.key;
  const libs = Object.keys(c.summary);
  const o = cell(id, "omq", key, c.metric.unit);
  const z = cell(id, "zeromq", key, c.metric.unit);
  const ratio = o.med / z.med;
  const others = libs.filter((l) => l !== "omq" && l !== "zeromq").map((l) => `${l} ${cell(id, l, key, c.metric.unit).text}`);
  console.log(`| ${id}: ${c.title} | ${o.text} | ${z.text} | ${sig(ratio)}× | ${others.join(", ")} |`);
  if (key === "p50Us") console.log(`| ${id}: p99 / p99.9 | ${tailRow(id).join(" | ")} | |`);
}

console.log("\nper run (#16's goals):");
for (const [i, r] of runs.entries()) {
  const m = (id, lib, k) => r.cases.find((c) => c.id === id)?.summary?.[lib]?.[k]?.median ?? NaN;
  const rr = (id) => `median ${sig(m(id, "omq", "p50Us"))} vs ${sig(m(id, "zeromq", "p50Us"))} µs (${sig(m(id, "omq", "p50Us") / m(id, "zeromq", "p50Us"))}×), p99 ${sig(m(id, "omq", "p99Us"))} vs ${sig(m(id, "zeromq", "p99Us"))} (${sig(m(id, "omq", "p99Us") / m(id, "zeromq", "p99Us"))}×)`;
  const mb = (id) => `${sig(m(id, "omq", "MBps") / m(id, "zeromq", "MBps"))}×`;
  console.log(`${files[i]} (${r.versions?.git?.commit ?? "?"}, ${r.date}, load ${r.machine?.loadavgStart?.join(" ")} → ${r.machine?.loadavgEnd?.join(" ")}):`);
  console.log(`  reqrep-16 ${rr("reqrep-16")}`);
  console.log(`  reqrep-16-loaded ${rr("reqrep-16-loaded")}`);
  console.log(`  reqrep-16-loaded-bp0 ${rr("reqrep-16-loaded-bp0")}`);
  console.log(`  ipc-1m ${mb("ipc-1m")}, tcp-1m ${mb("tcp-1m")}, tcp-1m-dial ${mb("tcp-1m-dial")}`);
}

// --- the README's tables ----------------------------------------------------

/** A zeromq (or jszmq) cell as the README writes it: no unit for counts per second. */
function bare(text) {
  return text.replace(/ (msg|conn)\/s/, "");
}

/** The ratio cell, keeping what followed the old one's last × (a note mark). */
function ratioCell(ratio, old) {
  const i = old.lastIndexOf("×");
  return ratio + (i >= 0 ? old.slice(i + 1) : "");
}

function pooledMedian(id, lib, key) {
  const { xs } = pooled(id, lib, key);
  return xs.length ? median(xs) : NaN;
}

function throughputRow(id) {
  const c = firstCase(id);
  const o = cell(id, "omq", c.metric.key, c.metric.unit);
  const z = cell(id, "zeromq", c.metric.key, c.metric.unit);
  const row = [o.text, bare(z.text), `${sig(o.med / z.med)}×`];
  if (c.summary.jszmq) row.push(bare(cell(id, "jszmq", c.metric.key, c.metric.unit).text));
  return row;
}

function tailRow(id) {
  const [o99, o999, z99, z999] = [pooledMedian(id, "omq", "p99Us"), pooledMedian(id, "omq", "p999Us"), pooledMedian(id, "zeromq", "p99Us"), pooledMedian(id, "zeromq", "p999Us")];
  return [`${sig(o99)} / ${sig(o999)} µs`, `${sig(z99)} / ${sig(z999)} µs`, `${sig(o99 / z99)}× / ${sig(o999 / z999)}×`];
}

const README_ROWS = [
  // the main table
  {
    "PUSH→PULL tcp 16 B": "tcp-16", "PUSH→PULL tcp 256 B": "tcp-256", "PUSH→PULL tcp 4 KiB": "tcp-4k",
    "PUSH→PULL tcp 64 KiB": "tcp-64k", "PUSH→PULL tcp 1 MiB": "tcp-1m", "PUSH→PULL tcp 1 MiB, receiver dials": "tcp-1m-dial",
    "PUSH→PULL ipc 16 B": "ipc-16", "PUSH→PULL ipc 256 B": "ipc-256", "PUSH→PULL ipc 4 KiB": "ipc-4k",
    "PUSH→PULL ipc 64 KiB": "ipc-64k", "PUSH→PULL ipc 1 MiB": "ipc-1m", "PUSH→PULL inproc 16 B": "inproc-16",
    "REQ↔REP tcp 16 B round trip, median": "reqrep-16", "REQ↔REP with a busy third process, median": "reqrep-16-loaded",
    "the same with omq's `busyPoll: 0`, median": "reqrep-16-loaded-bp0",
    "PUB→4 SUB tcp 64 B, delivered": () => {
      const d = (lib) => `${num(pooledMedian("pubsub-64", lib, "deliveredPerSec"))} msg/s, ${pooledMedian("pubsub-64", lib, "dropPct").toFixed(0)}% dropped`;
      return [d("omq"), d("zeromq"), `${sig(pooledMedian("pubsub-64", "omq", "deliveredPerSec") / pooledMedian("pubsub-64", "zeromq", "deliveredPerSec"))}×`];
    },
    "idle PULL waiting in `receive()`, CPU": () => [`${sig(pooledMedian("idle-pull", "omq", "idleCpuPct"))}%`, `${sig(pooledMedian("idle-pull", "zeromq", "idleCpuPct"))}%`, "—"],
    "REQ waiting for a 20 ms REP, CPU": () => [`${sig(pooledMedian("slow-rep-20ms", "omq", "reqCpuPct"))}%`, `${sig(pooledMedian("slow-rep-20ms", "zeromq", "reqCpuPct"))}%`, "—"],
    "receiver peak RSS (tcp 16 B)": () => {
      const [o, z] = ["omq", "zeromq"].map((l) => pooledMedian("tcp-16", l, "receiverRssPeak") / 2 ** 20);
      return [`${o.toFixed(0)} MiB`, `${z.toFixed(0)} MiB`, `${sig(o / z)}×`];
    },
  },
  // worker threads
  {
    "PUSH→PULL 16 B, worker → main": "thread-16", "PUSH→PULL 4 KiB": "thread-4k", "PUSH→PULL 64 KiB": "thread-64k",
    "REQ↔REP 16 B round trip, median": "thread-rr-16", "REQ↔REP 4 KiB": "thread-rr-4k", "REQ↔REP 64 KiB": "thread-rr-64k",
  },
  // WebSocket
  { "PUSH→PULL ws 16 B": "ws-16", "PUSH→PULL ws 4 KiB": "ws-4k", "PUSH→PULL ws 64 KiB": "ws-64k" },
  // CURVE
  {
    "PUSH→PULL tcp 16 B, CURVE": "curve-tcp-16", "PUSH→PULL tcp 256 B, CURVE": "curve-tcp-256", "PUSH→PULL tcp 64 KiB, CURVE": "curve-tcp-64k",
    "NULL handshakes, the same case without crypto (the bench's `handshake` row)": "handshake",
    "CURVE handshakes to a ROUTER (new DEALER, handshake, one round trip, close; 8 at a time; after 100 untimed)": "curve-handshake",
  },
  // scale
  {
    "1000 idle DEALERs, dialing side: array buffers / RSS per connection": () => perConn("dealer"),
    "the same, ROUTER side": () => perConn("router"),
    "ROUTER with 1000 DEALERs, 100 requests in flight": () => {
      const [o, z] = ["omq", "zeromq"].map((l) => pooledMedian("scale-router-1000", l, "roundTripsPerSec"));
      return [`${num(o)} round trips/s`, `${num(z)} (${sig(o / z)}×)`];
    },
  },
];

function perConn(side) {
  // zeromq.js's buffers are native: its few bytes of array buffers are 0 here
  const kib = (x) => (x < 0.005 ? "0" : sig(x));
  const f = (lib) => `${kib(pooledMedian("scale-idle-1000", lib, `${side}AbKiB`))}${lib === "omq" ? " KiB" : ""} / ${sig(pooledMedian("scale-idle-1000", lib, `${side}RssKiB`))} KiB`;
  return [f("omq"), f("zeromq")];
}

function rewriteReadme(path) {
  const lines = readFileSync(path, "utf8").split("\n");
  const start = lines.indexOf("## Performance");
  let table = -1;
  let prevId;
  let changed = 0;
  const unknown = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith("## "); i++) {
    const line = lines[i];
    if (line.startsWith("| case |")) {
      table++;
      continue;
    }
    if (!line.startsWith("| ") || line.startsWith("| ---")) continue;
    const cells = line.slice(2, -2).split(" | ");
    const label = cells[0];
    const known = README_ROWS[table]?.[label];
    let row;
    if (label === "the same, p99 / p99.9" && prevId !== undefined) row = tailRow(prevId);
    else if (typeof known === "string") {
      row = throughputRow(known);
      prevId = known;
    } else if (typeof known === "function") row = known();
    if (row === undefined) {
      unknown.push(label);
      continue;
    }
    // the ratio column (the fourth) keeps its note mark
    if (cells.length >= 4 && row.length >= 3 && row[2].includes("×")) row[2] = ratioCell(row[2], cells[3]);
    const out = `| ${[label, ...row].join(" | ")} |`;
    if (out !== line) changed++;
    lines[i] = out;
  }
  writeFileSync(path, lines.join("\n"));
  console.log(`\n${path}: ${changed} rows rewritten${unknown.length ? `; not known, left as they were: ${unknown.join("; ")}` : ""}`);
}

if (readmeArg !== undefined) rewriteReadme(readmeArg.slice("--readme=".length));
