#!/usr/bin/env node
// The README's performance rows from full runs pooled: each cell is the
// median [min–max] of every successful sample of that case and library across
// the given result files (three full runs: 15 samples), the ratio that of the
// medians; REQ↔REP rows add the pooled median of each run's p99 and p99.9.
// Then, per file, the figures the latency issue (#16) sets goals for.
//   node bench/table.js bench/results/latest-1.json bench/results/latest-2.json bench/results/latest.json
import { readFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node bench/table.js <result.json>...");
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
for (const id of ids) {
  const c = runs.map((r) => r.cases.find((x) => x.id === id)).find(Boolean);
  const key = c.metric.key;
  const libs = Object.keys(c.summary);
  const o = cell(id, "omq", key, c.metric.unit);
  const z = cell(id, "zeromq", key, c.metric.unit);
  const ratio = o.med / z.med;
  const others = libs.filter((l) => l !== "omq" && l !== "zeromq").map((l) => `${l} ${cell(id, l, key, c.metric.unit).text}`);
  console.log(`| ${id}: ${c.title} | ${o.text} | ${z.text} | ${sig(ratio)}× | ${others.join(", ")} |`);
  if (key === "p50Us") {
    const tail = (lib, k) => {
      const { xs } = pooled(id, lib, k);
      return xs.length ? median(xs) : NaN;
    };
    const [o99, o999, z99, z999] = [tail("omq", "p99Us"), tail("omq", "p999Us"), tail("zeromq", "p99Us"), tail("zeromq", "p999Us")];
    console.log(`| ${id}: p99 / p99.9 | ${sig(o99)} / ${sig(o999)} µs | ${sig(z99)} / ${sig(z999)} µs | ${sig(o99 / z99)}× / ${sig(o999 / z999)}× | |`);
  }
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
