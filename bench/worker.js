// The one benchmark driver. The same code runs against omq and against the
// `zeromq` package (and, for the ws PUSH→PULL rows, jszmq through
// bench/jszmq-adapter.js: roles push and pull only); only the import
// differs. It uses only the API both share:
// `new Push({ linger })`, `bind`, `lastEndpoint`, `connect`, `subscribe`,
// `await sock.send(buf)` per message, `for await (const [msg] of sock)` on the
// receiving side (REQ and DEALER use `await sock.receive()`), `close()`, and
// for the scale cases `context.maxSockets`.
//
//   node bench/worker.js <omq|zeromq|jszmq> <role> '<json args>'
//
// Started by bench/run.js with child_process.fork; it talks to run.js over the
// IPC channel: it reports {type:"ready"} / {type:"result"} / {type:"status"},
// and obeys {cmd:"connect"|"go"|"stop"|"status"|"exit"|"cpu-start"|"report"}.
// It exits by itself if run.js goes away (IPC disconnect) or after args.hardMs.
//
// Every role measures its process's CPU time (process.cpuUsage(), user +
// system, all threads) over its timed part and reports it as `cpu`
// ({pct, userMs, systemMs, wallMs}; pct 100 = one core busy all the time).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const [libName, role, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? "{}");
if (libName !== "omq" && libName !== "zeromq" && libName !== "jszmq") {
  process.stderr.write(`worker: unknown library ${libName} (omq, zeromq or jszmq)\n`);
  process.exit(1);
}
if (libName === "jszmq" && role !== "push" && role !== "pull") {
  // the adapter has PUSH and PULL only (the ws PUSH→PULL rows)
  process.stderr.write(`worker: jszmq plays only the push and pull roles, not ${role}\n`);
  process.exit(1);
}
// BENCH_OMQ=/path/to/dist/index.js benches another build of omq (e.g. a clean
// worktree) instead of this checkout's dist/ (imported as "omq")
const omqSpec = process.env.BENCH_OMQ ? pathToFileURL(resolve(process.env.BENCH_OMQ)).href : "omq";
// socket options a case gives omq alone (zeromq.js has no such options)
const omqOptions = libName === "omq" ? (args.omqOptions ?? {}) : {};
const lib = await import(libName === "omq" ? omqSpec : libName === "jszmq" ? "./jszmq-adapter.js" : "zeromq");

// --- plumbing -------------------------------------------------------------

const sockets = [];
const status = { role, phase: "start", sent: 0, received: 0 };
const pending = new Map(); // cmd -> resolve of a waitCmd() not yet answered
const arrived = new Map(); // cmd -> the message, once it has arrived

function report(msg) {
  if (process.connected) process.send(msg);
}

function fail(message) {
  report({ type: "error", message });
  process.stderr.write(`worker ${libName} ${role}: ${message}\n`);
  setTimeout(() => process.exit(1), 50);
}

function waitCmd(cmd) {
  if (arrived.has(cmd)) return Promise.resolve(arrived.get(cmd));
  return new Promise((resolve) => pending.set(cmd, resolve));
}

process.on("message", (m) => {
  if (m.cmd === "status") return report({ type: "status", ...status, rss: process.memoryUsage.rss() });
  if (m.cmd === "exit") return exit(0);
  arrived.set(m.cmd, m);
  pending.get(m.cmd)?.(m);
  pending.delete(m.cmd);
});

process.on("disconnect", () => exit(2)); // run.js went away: do not linger
const hard = setTimeout(() => {
  process.stderr.write(`worker ${libName} ${role}: hard time limit ${args.hardMs} ms, exiting\n`);
  exit(3);
}, args.hardMs ?? 60_000);
hard.unref();

let exiting = false;
function exit(code) {
  if (exiting) return;
  exiting = true;
  for (const s of sockets) {
    try {
      s.close();
    } catch {}
  }
  // let close() settle, then go; never wait on a library to drain
  setTimeout(() => process.exit(code), 20);
}

process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack ?? e}`));
process.on("uncaughtException", (e) => fail(`uncaught exception: ${e?.stack ?? e}`));

const now = () => performance.timeOrigin + performance.now(); // ms, comparable across processes

function track(sock) {
  sockets.push(sock);
  return sock;
}

// peak RSS: sampled (cheap timer) plus the kernel's high-water mark at the end
let rssMax = 0;
function sampleRss() {
  const r = process.memoryUsage.rss();
  if (r > rssMax) rssMax = r;
}
function startRssSampler() {
  sampleRss();
  const t = setInterval(sampleRss, 20);
  t.unref();
  return () => {
    clearInterval(t);
    sampleRss();
    return { rssPeakSampled: rssMax, maxRSS: process.resourceUsage().maxRSS * 1024 };
  };
}

// CPU time of this process (every thread: the JS thread, libuv's and V8's
// helpers, libzmq's I/O thread) from now until the returned function is
// called; pct = (user + system) / wall, so 100 = one core busy all the time.
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

const END = Buffer.alloc(0); // end marker for PUSH/PULL: a zero-length message
const dataBuf = (size, tag = 0x44) => Buffer.alloc(size, tag); // 'D'

// Send `count` copies of buf, or stop at maxMs, whichever comes first.
async function sendLoop(sock, buf, count, maxMs) {
  const mask = buf.length >= 65536 ? 0 : buf.length >= 4096 ? 15 : 255;
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  let i = 0;
  status.phase = "sending";
  while (i < count) {
    await sock.send(buf);
    i++;
    status.sent = i;
    if ((i & mask) === 0 && performance.now() > deadline) break;
  }
  return { sent: i, sendMs: performance.now() - t0, capped: i < count };
}

// Receive until the end marker (PUSH/PULL); times first to last data message.
async function receiveLoop(sock, size) {
  let count = 0;
  let t0 = 0;
  let t1 = 0;
  let badSize = 0;
  let stopCpu = null;
  status.phase = "receiving";
  for await (const [msg] of sock) {
    if (msg.length === 0) {
      // the end marker follows the last data message on the same connection:
      // its arrival time is the last message's, without a clock read per message
      t1 = now();
      break;
    }
    if (count === 0) {
      t0 = now();
      stopCpu = cpuMeter();
    }
    count++;
    if ((count & 1023) === 0) status.received = count;
    if (msg.length !== size) badSize++;
  }
  status.received = count;
  return { received: count, t0, t1, elapsedMs: t1 - t0, badSize, cpu: stopCpu?.() ?? null };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- scale cases: one ROUTER, many DEALERs ----------------------------------

// Both libraries cap the sockets of a context (1023 by default); zeromq.js
// applies the cap only before its first socket, so this runs first.
function allowSockets(n) {
  lib.context.maxSockets = Math.max(4096, n + 64);
}

// one tcp fd per connection per side (zeromq also has one eventfd per socket)
function checkFdLimit(need) {
  let text;
  try {
    text = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return; // not Linux: let the library fail if it must
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  if (m && m[1] !== "unlimited" && Number(m[1]) < need) {
    throw new Error(`open-file limit (ulimit -n) is ${m[1]}, this case needs about ${need}`);
  }
}

// process.memoryUsage() after a full GC when run with --expose-gc (run.js
// passes it to the scale workers); several passes with a turn of the event
// loop between them, so finalizers and freed backing stores are settled.
async function settledMemory() {
  const gc = typeof globalThis.gc === "function" ? globalThis.gc : null;
  if (gc) {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(10);
    }
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gc: gc !== null };
}

// a DEALER's request: its index in the first 4 bytes, so the reply shows the
// ROUTER routed it back to the right peer
function indexBuf(i, size) {
  const b = Buffer.alloc(size, 0x44);
  b.writeUInt32LE(i, 0);
  return b;
}
const isReplyFor = (reply, i, size) => reply.length === size && reply.readUInt32LE(0) === i;

// REQ→REP requests that bracket the timed round trips (not data: their length
// differs from the data's), so the REP measures its CPU over the same span
const CPU_START = Buffer.from("cpu-start");
const CPU_STOP = Buffer.from("cpu-stop");
const isMarker = (msg, marker) => msg.length === marker.length && marker.equals(msg);

// --- roles ------------------------------------------------------------------

// CURVE keys for the curve cases: libzmq's own test keys (test_security_curve)
const CURVE_SERVER = { publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", secretKey: "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6" };
const CURVE_CLIENT = { publicKey: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", secretKey: "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs" };
const curveServerOpts = () => (args.curve ? { curveServer: true, curveSecretKey: CURVE_SERVER.secretKey } : {});
const curveClientOpts = () =>
  args.curve ? { curveServerKey: CURVE_SERVER.publicKey, curvePublicKey: CURVE_CLIENT.publicKey, curveSecretKey: CURVE_CLIENT.secretKey } : {};

const roles = {
  // PUSH/PULL receiver: binds, reports its endpoint, counts until the end marker.
  async pull() {
    const sock = track(new lib.Pull({ linger: 0, ...curveServerOpts() }));
    let stopRss;
    if (args.dial) {
      // the receiver dials the sender (a worker pulling from a ventilator)
      stopRss = startRssSampler();
      report({ type: "ready" });
      const { endpoint } = await waitCmd("connect");
      sock.connect(endpoint);
    } else {
      await sock.bind(args.endpoint);
      stopRss = startRssSampler();
      report({ type: "ready", endpoint: sock.lastEndpoint });
    }
    const r = await receiveLoop(sock, args.size);
    report({ type: "result", ...r, ...stopRss() });
    status.phase = "done";
  },

  // PUSH/PULL sender: connects when told, sends, then the end marker; waits for exit.
  async push() {
    const sock = track(new lib.Push({ linger: 0, ...curveClientOpts() }));
    if (args.bind) {
      await sock.bind(args.endpoint);
      report({ type: "ready", endpoint: sock.lastEndpoint });
      await waitCmd("go"); // the first send waits for the receiver's connection
    } else {
      report({ type: "ready" });
      const { endpoint } = await waitCmd("connect");
      sock.connect(endpoint);
    }
    const buf = dataBuf(args.size);
    const rssStart = process.memoryUsage.rss();
    const stopCpu = cpuMeter();
    const r = await sendLoop(sock, buf, args.count, args.maxMs);
    const rssEnd = process.memoryUsage.rss();
    status.phase = "sending end marker";
    await sock.send(END);
    const cpu = stopCpu();
    status.phase = "sent";
    report({ type: "result", ...r, rssStart, rssEnd, cpu });
  },

  // PUSH and PULL in one process over inproc.
  async inproc() {
    const pull = track(new lib.Pull({ linger: 0 }));
    const push = track(new lib.Push({ linger: 0 }));
    const address = `inproc://omq-bench-${process.pid}`;
    await pull.bind(address);
    push.connect(address);
    const stopRss = startRssSampler();
    const rssStart = process.memoryUsage.rss();
    report({ type: "ready" });
    const recv = receiveLoop(pull, args.size);
    const s = await sendLoop(push, dataBuf(args.size), args.count, args.maxMs);
    await push.send(END);
    const r = await recv;
    report({ type: "result", ...r, sent: s.sent, sendMs: s.sendMs, capped: s.capped, rssStart, ...stopRss() });
    status.phase = "done";
  },

  // REP: echo until told to exit (after args.delayMs, if set, for a slow
  // server). The REQ brackets its timed round trips with CPU_START and
  // CPU_STOP requests, so this side's CPU is measured over the same span;
  // CPU_STOP also makes it report how many requests it echoed.
  async rep() {
    const sock = track(new lib.Reply({ linger: 0, ...omqOptions }));
    await sock.bind(args.endpoint);
    report({ type: "ready", endpoint: sock.lastEndpoint });
    status.phase = "echoing";
    let stopCpu = null;
    for await (const [msg] of sock) {
      if (msg.length !== args.size && isMarker(msg, CPU_START)) stopCpu = cpuMeter();
      else if (msg.length !== args.size && isMarker(msg, CPU_STOP)) {
        report({ type: "result", received: status.received, cpu: stopCpu?.() ?? null });
      } else {
        status.received++;
        if (args.delayMs) await sleep(args.delayMs);
      }
      await sock.send(msg);
    }
  },

  // REQ: warm up, then time each round trip.
  async req() {
    const sock = track(new lib.Request({ linger: 0, ...omqOptions }));
    report({ type: "ready" });
    const { endpoint } = await waitCmd("connect");
    sock.connect(endpoint);
    report(await timeRoundTrips(sock));
    status.phase = "done";
  },

  // PUB: probes until every subscriber has seen one ("go"), then `count` data
  // messages as fast as send() allows (PUB drops at the HWM, it never waits),
  // then end markers every 5 ms until told to stop.
  async pub() {
    const sock = track(new lib.Publisher({ linger: 0 }));
    await sock.bind(args.endpoint);
    report({ type: "ready", endpoint: sock.lastEndpoint });
    const probe = dataBuf(args.size, 0x50); // 'P'
    const end = dataBuf(args.size, 0x45); // 'E'
    let go = false;
    waitCmd("go").then(() => (go = true));
    status.phase = "probing";
    while (!go) {
      await sock.send(probe);
      await new Promise((r) => setTimeout(r, 2));
    }
    const rssStart = process.memoryUsage.rss();
    const stopCpu = cpuMeter();
    const r = await sendLoop(sock, dataBuf(args.size), args.count, args.maxMs);
    const cpu = stopCpu();
    const rssEnd = process.memoryUsage.rss();
    report({ type: "result", ...r, rssStart, rssEnd, cpu });
    let stop = false;
    waitCmd("stop").then(() => (stop = true));
    status.phase = "sending end markers";
    const until = performance.now() + (args.endMs ?? 10_000);
    while (!stop && performance.now() < until) {
      await sock.send(end);
      await new Promise((r) => setTimeout(r, 5));
    }
    status.phase = "done";
  },

  // SUB: subscribes to everything; says when the first probe arrives; counts
  // data messages until the first end marker.
  async sub() {
    const sock = track(new lib.Subscriber({ linger: 0 }));
    sock.connect(args.endpoint);
    sock.subscribe();
    const stopRss = startRssSampler();
    status.phase = "waiting for probe";
    let count = 0;
    let t0 = 0;
    let t1 = 0;
    let badSize = 0;
    let probed = false;
    let stopCpu = null;
    let cpu = null;
    for await (const [msg] of sock) {
      const tag = msg[0];
      if (tag === 0x44) {
        if (count === 0) {
          t0 = now();
          stopCpu = cpuMeter();
        }
        count++;
        if (msg.length !== args.size) badSize++;
        // a clock read every 64 messages: the last receipt is known to within
        // 63 messages (a few µs) without a clock read per message
        if ((count & 63) === 0) {
          t1 = now();
          status.received = count;
        }
      } else if (tag === 0x50) {
        if (!probed) {
          probed = true;
          status.phase = "receiving";
          report({ type: "ready" });
        }
      } else if (tag === 0x45) {
        cpu = stopCpu?.() ?? null; // first data message to the first end marker
        break;
      } else badSize++;
    }
    status.received = count;
    if (t1 === 0) t1 = now();
    report({ type: "result", received: count, t0, t1, elapsedMs: t1 - t0, badSize, cpu, ...stopRss() });
    status.phase = "done";
  },
};

// ROUTER: echoes [id, body] to the sender until told to exit. On "baseline"
// and on "report" it takes a memory snapshot (with args.measure); "report"
// also answers with the counts, for run.js to check against the DEALERs'.
roles.router = async function router() {
  allowSockets(args.n);
  checkFdLimit(args.n + 128);
  const sock = track(new lib.Router({ linger: 0, ...curveServerOpts() }));
  await sock.bind(args.endpoint);
  report({ type: "ready", endpoint: sock.lastEndpoint });
  let before = null;
  let stopCpu = null; // from "cpu-start" (the DEALERs' timed or idle part began) to "report"
  waitCmd("cpu-start").then(() => (stopCpu = cpuMeter()));
  waitCmd("baseline").then(async () => {
    before = await settledMemory();
    report({ type: "baseline" });
  });
  waitCmd("report").then(async () => {
    const cpu = stopCpu?.() ?? null;
    const after = args.measure ? await settledMemory() : null;
    report({ type: "result", received: status.received, echoed: status.sent, before, after, cpu });
  });
  status.phase = "echoing";
  for await (const [id, body] of sock) {
    status.received++;
    await sock.send([id, body]);
    status.sent++;
  }
};

// args.n DEALERs, each connected to the ROUTER at "connect".endpoint by its
// own socket. One more DEALER connects and round-trips first: the library's
// one-time costs (code, pools, timers) and that socket are in the baseline,
// so only what each further connection adds is counted. On "go" the n
// DEALERs connect, args.batch at a time, and each round-trips once (so both
// sides are connected);
// then either (mode "idle") they sit idle args.idleMs and the process takes
// its memory snapshot, or (mode "rt") they run round trips: args.window
// lanes, lane j owning DEALERs j, j+window, j+2·window, ... and cycling
// through them, one request in flight per lane; args.warmup round trips
// untimed, then args.count (or args.maxMs) timed.
roles.dealers = async function dealers() {
  const { n, size } = args;
  allowSockets(n);
  checkFdLimit(2 * n + 128);
  report({ type: "ready" });
  const { endpoint } = await waitCmd("connect");
  let sent = 0;
  let received = 0;
  let bad = 0;
  const roundTrip = async (d, i, buf = indexBuf(i, size)) => {
    await d.send(buf);
    sent++;
    const [reply] = await d.receive();
    received++;
    if (!isReplyFor(reply, i, size)) bad++;
    status.sent = sent;
    status.received = received;
  };
  status.phase = "warm-up socket";
  const first = track(new lib.Dealer({ linger: 0 }));
  first.connect(endpoint);
  await roundTrip(first, n);
  const before = args.mode === "idle" ? await settledMemory() : null;
  report({ type: "warm" });
  await waitCmd("go");

  // in batches of args.batch (50), each round-tripped before the next
  // connects: a burst of more than the listener's backlog (100 by default in
  // both libraries) of simultaneous connects overflows the ROUTER's accept
  // queue, and the kernel's SYN retry makes the rest wait a second or more
  status.phase = `connecting ${n} DEALERs`;
  const t0 = performance.now();
  const socks = new Array(n);
  const batch = args.batch ?? 50;
  for (let b = 0; b < n; b += batch) {
    const round = [];
    for (let i = b; i < Math.min(n, b + batch); i++) {
      socks[i] = track(new lib.Dealer({ linger: 0 }));
      socks[i].connect(endpoint);
      round.push(roundTrip(socks[i], i));
    }
    await Promise.all(round);
  }
  const connectMs = performance.now() - t0;

  if (args.mode === "idle") {
    status.phase = "idle";
    report({ type: "cpu-start" }); // run.js starts the ROUTER's CPU meter
    const stopCpu = cpuMeter();
    await sleep(args.idleMs);
    const cpu = stopCpu();
    const after = await settledMemory();
    report({ type: "result", n, sent, received, bad, connectMs, before, after, cpu });
    status.phase = "done";
    return;
  }

  const bufs = socks.map((_, i) => indexBuf(i, size));
  const window = Math.min(args.window, n);
  async function phase(total, maxMs) {
    let issued = 0;
    let done = 0;
    const t = performance.now();
    const deadline = t + maxMs;
    const lane = async (j) => {
      let i = j;
      while (issued < total && performance.now() < deadline) {
        issued++;
        await roundTrip(socks[i], i, bufs[i]);
        done++;
        i += window;
        if (i >= n) i = j;
      }
    };
    const lanes = [];
    for (let j = 0; j < window; j++) lanes.push(lane(j));
    await Promise.all(lanes);
    return { roundTrips: done, elapsedMs: performance.now() - t, capped: issued < total };
  }
  status.phase = "warm-up round trips";
  await phase(args.warmup, args.maxMs);
  status.phase = "measuring";
  report({ type: "cpu-start" }); // run.js starts the ROUTER's CPU meter
  const stopCpu = cpuMeter();
  const r = await phase(args.count, args.maxMs);
  const cpu = stopCpu();
  report({ type: "result", n, window, sent, received, bad, connectMs, ...r, cpu });
  status.phase = "done";
};

// Idle socket: the PULL binds; the PUSH connects and sends one "hello" (so
// the connection is up at both ends), then both sit idle for args.idleMs, the
// PULL waiting in its receive loop with nothing arriving, and each reports
// its CPU over that time ("idle"). Then, on "go", the PUSH sends the end
// marker and the PULL, still in the same loop, must get it.
const HELLO = Buffer.from("hello");
// Handshakes: args.window lanes, each creating a DEALER (CURVE with
// args.curve, else NULL), connecting, round-tripping one message and closing
// it, until args.count are done (or args.maxMs has passed).
roles.handshakes = async function handshakes() {
  report({ type: "ready" });
  const { endpoint } = await waitCmd("connect");
  const keys = curveClientOpts();
  let started = 0;
  let done = 0;
  let bad = 0;
  let capped = false;
  let t0 = performance.now();
  const once = async (i) => {
    const d = new lib.Dealer({ linger: 0, ...keys });
    d.connect(endpoint);
    await d.send(indexBuf(i, args.size));
    const [reply] = await d.receive();
    if (!isReplyFor(reply, i, args.size)) bad++;
    d.close();
  };
  // untimed warm-up: code paths compiled, libraries loaded (omq loads its
  // crypto on first use), in both libraries alike
  status.phase = "warm-up handshakes";
  for (let i = 0; i < (args.warmup ?? 0); i++) await once(i);
  const stopCpu = cpuMeter();
  t0 = performance.now();
  status.phase = "handshaking";
  const lane = async () => {
    while (started < args.count) {
      if (performance.now() - t0 > args.maxMs) {
        capped = true;
        return;
      }
      const i = started++;
      await once(i);
      done++;
      status.received = done;
    }
  };
  await Promise.all(Array.from({ length: args.window }, lane));
  const elapsedMs = performance.now() - t0;
  report({ type: "result", done, bad, capped, elapsedMs, cpu: stopCpu() });
  status.phase = "done";
};

roles.idlepull = async function idlepull() {
  const sock = track(new lib.Pull({ linger: 0 }));
  await sock.bind(args.endpoint);
  report({ type: "ready", endpoint: sock.lastEndpoint });
  status.phase = "waiting for hello";
  let received = 0;
  let bad = 0;
  for await (const [msg] of sock) {
    received++;
    status.received = received;
    if (received === 1) {
      if (!isMarker(msg, HELLO)) bad++;
      status.phase = "idle, waiting in receive";
      const stopCpu = cpuMeter();
      setTimeout(() => {
        report({ type: "idle", cpu: stopCpu() });
        status.phase = "waiting for the end marker";
      }, args.idleMs);
    } else if (msg.length === 0) break;
    else bad++;
  }
  report({ type: "result", received, bad });
  status.phase = "done";
};
roles.idlepush = async function idlepush() {
  const sock = track(new lib.Push({ linger: 0 }));
  report({ type: "ready" });
  const { endpoint } = await waitCmd("connect");
  sock.connect(endpoint);
  status.phase = "sending hello";
  await sock.send(HELLO);
  status.sent = 1;
  status.phase = "idle";
  const stopCpu = cpuMeter();
  await sleep(args.idleMs);
  report({ type: "idle", cpu: stopCpu() });
  await waitCmd("go");
  status.phase = "sending end marker";
  await sock.send(END);
  status.sent = 2;
  status.phase = "sent";
};

// PUSH in a worker thread, PULL in this process's main thread, over inproc
// (zeromq: its default context, shared by threads; omq: the same).
roles.inprocThread = async function inprocThread() {
  const { Worker } = await import("node:worker_threads");
  const pull = track(new lib.Pull({ linger: 0 }));
  const address = `inproc://omq-bench-thread-${process.pid}`;
  await pull.bind(address);
  const w = new Worker(new URL(import.meta.url), { argv: [libName, "threadPush", JSON.stringify({ ...args, endpoint: address })] });
  const sent = new Promise((res, rej) => {
    w.on("message", res);
    w.on("error", rej);
  });
  const stopRss = startRssSampler();
  const rssStart = process.memoryUsage.rss();
  report({ type: "ready" });
  const recv = receiveLoop(pull, args.size);
  const s = await sent;
  const r = await recv;
  report({ type: "result", ...r, sent: s.sent, sendMs: s.sendMs, capped: s.capped, rssStart, ...stopRss() });
  await w.terminate();
  status.phase = "done";
};
roles.threadPush = async function threadPush() {
  const { parentPort } = await import("node:worker_threads");
  const push = track(new lib.Push({ linger: 0 }));
  push.connect(args.endpoint);
  const s = await sendLoop(push, dataBuf(args.size), args.count, args.maxMs);
  await push.send(END);
  parentPort.postMessage({ sent: s.sent, sendMs: s.sendMs, capped: s.capped });
};

// REQ's side of a round-trip case: warm up, bracket the timed part with the
// replier's CPU markers, time each round trip; the result record.
async function timeRoundTrips(sock) {
  const buf = dataBuf(args.size);
  status.phase = "warmup";
  for (let i = 0; i < args.warmup; i++) {
    await sock.send(buf);
    await sock.receive();
  }
  // the REP measures its CPU from here to CPU_STOP
  await sock.send(CPU_START);
  await sock.receive();
  report({ type: "measuring" }); // run.js starts the busy process's CPU meter
  status.phase = "measuring";
  const lat = new Float64Array(args.count);
  const stopCpu = cpuMeter();
  const tStart = performance.now();
  const deadline = tStart + args.maxMs;
  let n = 0;
  let badSize = 0;
  while (n < args.count) {
    const a = process.hrtime.bigint();
    await sock.send(buf);
    const [reply] = await sock.receive();
    lat[n++] = Number(process.hrtime.bigint() - a) / 1000; // µs
    if (reply.length !== args.size) badSize++;
    status.sent = status.received = n;
    if ((n & 63) === 0 && performance.now() > deadline) break;
  }
  const totalMs = performance.now() - tStart;
  const cpu = stopCpu();
  status.phase = "stopping the replier's CPU meter";
  await sock.send(CPU_STOP);
  await sock.receive();
  // median of each tenth of the run, in order: shows drift over the run
  const p50ByTenth = [];
  for (let k = 0; k < 10; k++) {
    const part = lat.slice(Math.floor((k * n) / 10), Math.floor(((k + 1) * n) / 10)).sort();
    if (part.length) p50ByTenth.push(part[Math.floor(part.length / 2)]);
  }
  const sorted = lat.subarray(0, n).sort();
  const q = (p) => sorted[Math.min(n - 1, Math.floor(p * n))];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  return {
    type: "result",
    roundTrips: n,
    requested: args.count,
    capped: n < args.count,
    totalMs,
    badSize,
    cpu,
    latencyUs: { min: sorted[0], p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: sorted[n - 1], mean: sum / n, p50ByTenth },
  };
}

// REQ in this process's main thread, REP in a worker thread, over inproc
// (zeromq: its default context, shared by threads; omq: the same).
roles.threadReqRep = async function threadReqRep() {
  const { Worker } = await import("node:worker_threads");
  const address = `inproc://omq-bench-threadrr-${process.pid}`;
  const w = new Worker(new URL(import.meta.url), { argv: [libName, "threadRep", JSON.stringify({ ...args, endpoint: address })] });
  const fromWorker = [];
  let wake = null;
  w.on("message", (m) => {
    fromWorker.push(m);
    wake?.();
  });
  const failed = new Promise((_, rej) => w.on("error", rej));
  const next = () =>
    Promise.race([
      failed,
      new Promise((res) => {
        const take = () => (fromWorker.length > 0 ? res(fromWorker.shift()) : (wake = take));
        take();
      }),
    ]);
  await next(); // bound
  const sock = track(new lib.Request({ linger: 0 }));
  sock.connect(address);
  report({ type: "ready" });
  const r = await timeRoundTrips(sock);
  w.postMessage("count?");
  const { received } = await next();
  report({ ...r, echoed: received });
  await w.terminate();
  status.phase = "done";
};
roles.threadRep = async function threadRep() {
  const { parentPort } = await import("node:worker_threads");
  const sock = track(new lib.Reply({ linger: 0 }));
  await sock.bind(args.endpoint);
  let received = 0;
  parentPort.on("message", () => parentPort.postMessage({ received }));
  parentPort.postMessage("bound");
  for await (const [msg] of sock) {
    if (msg.length === args.size) received++;
    await sock.send(msg);
  }
};

const run = roles[role];
if (run === undefined) fail(`unknown role ${role}`);
else
  run().catch((e) => {
    status.phase = "failed";
    fail(e?.stack ?? String(e));
  });
