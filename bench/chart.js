// Draws a bench/run.js result as an SVG chart, by hand (no dependencies).
// One row per case, each with its own linear scale from 0: an omq bar and a
// zeromq bar at the median, a whisker from min to max, a dot per run, and the
// omq/zeromq ratio on the right. The scale cases (1000 DEALERs) and the
// memory rows (tcp 16 B) come last, each under its own heading; the idle
// case draws a row per memory figure, with its goal as a dashed line. The
// CPU-only cases (a process that waits: idle PULL, REQ and a slow REP) have
// their own heading too. Under each ratio: the case's note, then the CPU % of
// each process (omq's vs zeromq's medians), when the result has them.
//
// Also usable alone, to redraw a saved result:
//   node bench/chart.js bench/results/latest.json > bench/results/latest.svg

const COLORS = { omq: "#e8590c", zeromq: "#1971c2" };
const DOTS = { omq: "#8a3000", zeromq: "#0b3d75" };
const W = 1040;
const LABEL_X = 12;
const PLOT_X0 = 320;
const PLOT_X1 = 800;
const RATIO_X = 815;
const ROW_H = 54;
const MiB = 1024 * 1024;

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

function fmt(x, unit) {
  if (!Number.isFinite(x)) return "—";
  if (unit === "MB/s" && x >= 1000) return `${(x / 1000).toPrecision(3)} GB/s`;
  const a = Math.abs(x);
  let s;
  if (a >= 1e6) s = `${(x / 1e6).toPrecision(3)}M`;
  else if (a >= 1e4) s = `${(x / 1e3).toPrecision(3)}k`;
  else if (a >= 100) s = x.toFixed(0);
  else if (a >= 10) s = x.toFixed(1);
  else s = x.toFixed(2);
  return `${s} ${unit}`;
}

// the rows to draw: {title, sub, unit, better, values: {omq: [..], zeromq: [..]}, failed: {lib: msg}, note}
function rowsOf(result) {
  const rows = [];
  const scale = [];
  const waits = [];
  let scaleConns;
  for (const c of result.cases) {
    if (c.kind === "idle" || c.kind === "routerrt") {
      scaleConns ??= c.connections;
      scale.push(...scaleRows(c));
      continue;
    }
    const into = c.metric.cpu ? waits : rows;
    const m = c.metric;
    const values = {};
    const failed = {};
    for (const lib of ["omq", "zeromq"]) {
      const ok = c.samples.filter((s) => s.lib === lib && s.ok);
      values[lib] = ok.map((s) => s[m.key]).filter(Number.isFinite);
      const bad = c.samples.find((s) => s.lib === lib && !s.ok);
      if (bad && values[lib].length === 0) failed[lib] = bad.error;
      else if (bad) failed[lib] = `${c.samples.filter((s) => s.lib === lib && !s.ok).length} run(s) failed`;
    }
    let note = "";
    const med = (lib, key) => median(c.samples.filter((s) => s.lib === lib && s.ok).map((s) => s[key]));
    if (c.kind === "reqrep" && c.replyDelayMs) {
      note = `median ${fmt(med("omq", "p50Us") / 1000, "ms")} vs ${fmt(med("zeromq", "p50Us") / 1000, "ms")}`;
    } else if (c.kind === "reqrep") {
      const pp = (lib) => `${fmt(med(lib, "p99Us"), "").trim()}/${fmt(med(lib, "p999Us"), "").trim()}`;
      note = c.samples.some((s) => s.p999Us !== undefined) ? `p99/p99.9 ${pp("omq")} vs ${pp("zeromq")} µs` : `p99 ${fmt(med("omq", "p99Us"), "µs")} vs ${fmt(med("zeromq", "p99Us"), "µs")}`;
    } else if (c.kind === "pubsub") {
      const drop = (lib) => median(c.samples.filter((s) => s.lib === lib && s.ok).map((s) => s.dropPct));
      const pct = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}%` : "—");
      note = `dropped ${pct(drop("omq"))} vs ${pct(drop("zeromq"))}`;
    }
    const noRatio = c.ratioNote ? { noRatio: true, verdict: Number.isFinite(c.difference) ? `${c.difference >= 0 ? "+" : ""}${c.difference.toFixed(2)} pts` : "", why: c.ratioNote } : {};
    into.push({ title: c.title, sub: `${m.label}, ${m.unit}, ${m.better} is better`, unit: m.unit, better: m.better, values, failed, note, cpu: cpuNote(c), ...noRatio });
    if (c.id === "tcp-16") {
      const mem = (key) => {
        const v = {};
        for (const lib of ["omq", "zeromq"]) v[lib] = c.samples.filter((s) => s.lib === lib && s.ok).map((s) => s[key] / MiB);
        return v;
      };
      rows.memory = [
        { title: "tcp 16 B: receiver peak RSS", sub: "MiB, lower is better", unit: "MiB", better: "lower", values: mem("receiverRssPeak"), failed: {} },
        { title: "tcp 16 B: sender RSS after sending", sub: "MiB, lower is better", unit: "MiB", better: "lower", values: mem("senderRssEnd"), failed: {} },
      ];
    }
  }
  if (waits.length) rows.push({ separator: "waiting: CPU of a process while it waits (100% = one core)" }, ...waits);
  if (scale.length) rows.push({ separator: `scale: ${scaleConns ?? "many"} DEALER sockets in one process, each connected by tcp to a ROUTER in another` }, ...scale);
  if (rows.memory) rows.push({ separator: "memory" }, ...rows.memory);
  return rows;
}

function valuesOf(c, key) {
  const values = {};
  const failed = {};
  for (const lib of ["omq", "zeromq"]) {
    const ok = c.samples.filter((s) => s.lib === lib && s.ok);
    values[lib] = ok.map((s) => s[key]).filter(Number.isFinite);
    const bad = c.samples.filter((s) => s.lib === lib && !s.ok);
    if (bad.length && values[lib].length === 0) failed[lib] = bad[0].error;
    else if (bad.length) failed[lib] = `${bad.length} run(s) failed`;
  }
  return { values, failed };
}

// "CPU 98/87% vs 60/75% sender/receiver" (medians), or "" for a result without CPU figures
function cpuNote(c) {
  if (!c.cpuRoles || !c.summary) return "";
  const pct = (x) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(1) : x.toFixed(0)) : "—");
  const of = (lib) => c.cpuRoles.map((r) => pct(c.summary[lib]?.cpu?.[r]?.median)).join("/");
  const short = { requester: "req", replier: "rep", publisher: "pub", subscriber: "sub", receiver: "recv", sender: "send" };
  return `CPU ${of("omq")}% vs ${of("zeromq")}% ${c.cpuRoles.map((r) => short[r] ?? r).join("/")}`;
}

function scaleRows(c) {
  if (c.kind === "routerrt") {
    const m = c.metric;
    return [{ title: "ROUTER echoing to all DEALERs", sub: `${m.label}, ${m.better} is better`, unit: m.unit, better: m.better, ...valuesOf(c, m.key), cpu: cpuNote(c) }];
  }
  // idle: zeromq's arrayBuffers are ~0 (its buffers are native, in RSS), so
  // those rows show omq's goal instead of a ratio
  return c.metrics.map((x) => {
    const g = c.goals?.[x.key];
    const verdict = g ? `${g.met ? "✓" : "✗"} omq goal ${g.goal.replace("KiB/conn", "KiB")}` : "";
    return {
      title: `idle: ${x.side} side ${x.what}`,
      sub: "KiB per connection, lower is better",
      unit: "KiB",
      better: "lower",
      ...valuesOf(c, x.key),
      goal: x.goalKiB,
      noRatio: x.goalKiB !== undefined,
      verdict,
      verdictMet: g?.met,
      why: "no ratio: zeromq's are native",
      note: x.goalKiB === undefined ? verdict : "",
      cpu: x.key === "dealerRssKiB" ? cpuNote(c) : "",
    };
  });
}

export function renderSvg(result) {
  const rows = rowsOf(result);
  const top = 96;
  const height = top + rows.reduce((h, r) => h + (r.separator ? 30 : ROW_H), 0) + 46;
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${height}" fill="#fff"/>`);
  const m = result.machine;
  const git = result.versions.git ? ` · omq ${result.versions.git.commit}${result.versions.git.dirty ? "+dirty" : ""}` : "";
  o.push(`<text x="${LABEL_X}" y="26" font-size="18" font-weight="bold">omq ${esc(result.versions.omq)} vs zeromq ${esc(result.versions.zeromq)} — ${esc(result.mode)} run, ${esc(result.date.slice(0, 16).replace("T", " "))} UTC</text>`);
  o.push(
    `<text x="${LABEL_X}" y="46" fill="#444">${esc(`${m.cpus}× ${m.cpuModel} · ${m.platform} · node ${m.node}${git} · load ${m.loadavgStart.map((x) => x.toFixed(2)).join(" ")}`)}</text>`,
  );
  o.push(
    `<text x="${LABEL_X}" y="64" fill="#444">${esc(`${result.runs} alternating runs per case. Bar = median, whisker = min–max, dot = one run. Each row has its own linear scale from 0.`)}</text>`,
  );
  // legend
  let lx = LABEL_X;
  for (const lib of ["omq", "zeromq"]) {
    o.push(`<rect x="${lx}" y="74" width="14" height="12" fill="${COLORS[lib]}"/><text x="${lx + 19}" y="84">${lib}</text>`);
    lx += 80;
  }
  o.push(`<text x="${RATIO_X}" y="84" fill="#444">omq / zeromq</text>`);

  let y = top;
  for (const r of rows) {
    if (r.separator) {
      o.push(`<line x1="${LABEL_X}" x2="${W - 12}" y1="${y + 10}" y2="${y + 10}" stroke="#ccc"/>`);
      o.push(`<text x="${LABEL_X}" y="${y + 25}" font-weight="bold" fill="#444">${esc(r.separator)}</text>`);
      y += 30;
      continue;
    }
    o.push(...row(r, y));
    y += ROW_H;
  }
  o.push(`<text x="${LABEL_X}" y="${height - 16}" fill="#666" font-size="11">${esc(`written by bench/run.js in ${(result.durationMs / 1000).toFixed(0)} s; raw samples in the .json beside this file. Ratio colour: green = omq better, red = omq worse (by more than 5%).`)}</text>`);
  o.push("</svg>");
  return o.join("\n") + "\n";
}

function row(r, y) {
  const o = [];
  o.push(`<rect x="0" y="${y}" width="${W}" height="${ROW_H}" fill="${(y / ROW_H) % 2 < 1 ? "#fff" : "#fafafa"}"/>`);
  o.push(`<text x="${LABEL_X}" y="${y + 22}" font-weight="bold">${esc(r.title)}</text>`);
  o.push(`<text x="${LABEL_X}" y="${y + 38}" fill="#666" font-size="11">${esc(r.sub)}</text>`);
  const all = [...r.values.omq, ...r.values.zeromq, ...(r.goal !== undefined ? [r.goal] : [])];
  const top = all.length ? Math.max(...all) : 1;
  const max = top > 0 ? top : 1;
  // from 0 (a value below 0, e.g. a memory delta of -0.01, is drawn at 0)
  const scale = (v) => PLOT_X0 + ((PLOT_X1 - PLOT_X0) * Math.max(0, v)) / (max * 1.3);
  o.push(`<line x1="${PLOT_X0}" x2="${PLOT_X0}" y1="${y + 6}" y2="${y + ROW_H - 6}" stroke="#999"/>`);
  if (r.goal !== undefined) {
    const gx = scale(r.goal).toFixed(1);
    o.push(`<line x1="${gx}" x2="${gx}" y1="${y + 4}" y2="${y + ROW_H - 4}" stroke="#2b8a3e" stroke-width="1.2" stroke-dasharray="4 3"><title>${esc(`goal ${fmt(r.goal, r.unit)}`)}</title></line>`);
    o.push(`<text x="${(Number(gx) + 3).toFixed(1)}" y="${y + ROW_H - 6}" font-size="9.5" fill="#2b8a3e">goal</text>`);
  }
  ["omq", "zeromq"].forEach((lib, i) => {
    const by = y + 8 + i * 19;
    const v = r.values[lib];
    if (v.length === 0) {
      let msg = (r.failed[lib] ?? "no successful run").split("\n")[0].split(" — ")[0];
      if (msg.length > 66) msg = `${msg.slice(0, 65)}…`;
      o.push(`<text x="${PLOT_X0 + 6}" y="${by + 11}" font-size="11" fill="#c92a2a">${esc(`${lib} failed: ${msg}`)}</text>`);
      return;
    }
    const med = median(v);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const cy = by + 7;
    o.push(`<rect x="${PLOT_X0}" y="${by}" width="${Math.max(1, scale(med) - PLOT_X0).toFixed(1)}" height="14" fill="${COLORS[lib]}" opacity="0.85"><title>${esc(`${lib}: median ${fmt(med, r.unit)}, min ${fmt(lo, r.unit)}, max ${fmt(hi, r.unit)}, ${v.length} runs`)}</title></rect>`);
    o.push(`<line x1="${scale(lo).toFixed(1)}" x2="${scale(hi).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#222" stroke-width="1.2"/>`);
    for (const x of [lo, hi]) o.push(`<line x1="${scale(x).toFixed(1)}" x2="${scale(x).toFixed(1)}" y1="${cy - 5}" y2="${cy + 5}" stroke="#222" stroke-width="1.2"/>`);
    for (const x of v) o.push(`<circle cx="${scale(x).toFixed(1)}" cy="${cy}" r="2.2" fill="${DOTS[lib]}" stroke="#fff" stroke-width="0.6"/>`);
    const failedNote = r.failed[lib] ? ` (${r.failed[lib]})` : "";
    o.push(`<text x="${(Math.max(scale(hi), scale(med)) + 6).toFixed(1)}" y="${by + 11}" font-size="11">${esc(fmt(med, r.unit) + failedNote)}</text>`);
  });
  const mo = median(r.values.omq);
  const mz = median(r.values.zeromq);
  if (r.noRatio) {
    const color = r.verdictMet === true ? "#2b8a3e" : r.verdictMet === false ? "#c92a2a" : "#495057";
    o.push(`<text x="${RATIO_X}" y="${y + 22}" font-size="12" font-weight="bold" fill="${color}">${esc(r.verdict || "no result")}</text>`);
    o.push(`<text x="${RATIO_X}" y="${y + 36}" font-size="10" fill="#444">${esc(r.why)}</text>`);
    if (r.cpu) o.push(`<text x="${RATIO_X}" y="${y + 49}" font-size="10" fill="#444">${esc(r.cpu)}</text>`);
    return o;
  }
  if (Number.isFinite(mo) && Number.isFinite(mz) && mz > 0) {
    const ratio = mo / mz;
    const goodness = r.better === "higher" ? ratio : 1 / ratio;
    const color = goodness > 1.05 ? "#2b8a3e" : goodness < 1 / 1.05 ? "#c92a2a" : "#495057";
    const word = goodness > 1.05 ? "omq better" : goodness < 1 / 1.05 ? "omq worse" : "about even";
    o.push(`<text x="${RATIO_X}" y="${y + 22}" font-size="17" font-weight="bold" fill="${color}">${ratio.toFixed(2)}×</text>`);
    o.push(`<text x="${RATIO_X + 62}" y="${y + 22}" font-size="11" fill="${color}">${word}</text>`);
  } else {
    o.push(`<text x="${RATIO_X}" y="${y + 22}" font-size="13" fill="#c92a2a">no ratio</text>`);
  }
  // the note, then the CPU line; without a note the CPU line moves up
  const lines = [r.note, r.cpu].filter(Boolean);
  lines.forEach((t, i) => o.push(`<text x="${RATIO_X}" y="${y + 36 + 13 * i}" font-size="10" fill="#444">${esc(t)}</text>`));
  return o;
}

// node bench/chart.js <result.json>  → SVG on stdout
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv[2]) {
    console.error("usage: node bench/chart.js <result.json> > chart.svg");
    process.exit(2);
  }
  process.stdout.write(renderSvg(JSON.parse(readFileSync(process.argv[2], "utf8"))));
}
