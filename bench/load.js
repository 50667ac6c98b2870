// The busy third process of the "REQ↔REP with a busy third process" case
// (bench/run.js forks it for the duration of each run of that case and kills
// and reaps it afterwards). It touches no socket and imports no library: it
// spins a CPU-bound loop (an xorshift PRNG and a running sum) so that it, the
// REQ and the REP all compete for the machine's cores.
//
//   node bench/load.js <omq|zeromq> load '<json args>'     (args.hardMs)
//
// It spins in slices of ~2 ms and turns the event loop between them, so it
// still hears run.js: {cmd:"cpu-start"} starts its CPU meter, {cmd:"report"}
// answers {type:"result", cpu} (how much CPU it got meanwhile),
// {cmd:"status"} and {cmd:"exit"} as the workers do. It exits by itself
// after args.hardMs (the run's time limit + 5 s) and if run.js goes away.
import { performance } from "node:perf_hooks";

process.title = "omq-bench-load";
const [libName, , rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? "{}");
const deadline = performance.now() + (args.hardMs ?? 30_000);
const SLICE_MS = 2;

let x = 0x9e3779b9 | 0;
let sum = 0;
let slices = 0;
let stopCpu = null;
let stopping = false;

function cpuMeter() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    const wallMs = performance.now() - t0;
    const userMs = c.user / 1000;
    const systemMs = c.system / 1000;
    return { pct: wallMs > 0 ? (100 * (userMs + systemMs)) / wallMs : NaN, userMs, systemMs, wallMs };
  };
}

function report(m) {
  if (process.connected) process.send(m);
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exit(code);
}

process.on("message", (m) => {
  if (m.cmd === "status") report({ type: "status", role: "load", phase: `spinning (${slices} slices)`, sent: 0, received: 0 });
  else if (m.cmd === "cpu-start") stopCpu = cpuMeter();
  else if (m.cmd === "report") report({ type: "result", cpu: stopCpu?.() ?? null, slices, sum });
  else if (m.cmd === "exit") stop(0);
});
process.on("disconnect", () => stop(2));

function spin() {
  if (stopping) return;
  const now = performance.now();
  if (now > deadline) {
    process.stderr.write(`load(${libName}): hard time limit ${args.hardMs} ms, exiting\n`);
    return stop(3);
  }
  const end = now + SLICE_MS;
  do {
    for (let i = 0; i < 2000; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      sum = (sum + (x & 0xffff)) % 1_000_003;
    }
  } while (performance.now() < end);
  slices++;
  setImmediate(spin);
}

report({ type: "ready" });
setImmediate(spin);
