// At exit zeromq.js terminates its contexts, and when that takes over 500 ms
// (closed sockets still lingering with queued messages) it prints a warning
// and goes on waiting. omq waits in the same case, a closed socket still
// writing to a connected peer within its linger, and says the same.
//
// Node keeps the process alive while a write is pending on a socket, even an
// unref'd one, so "the program is otherwise done" is seen by asking Node what
// keeps the loop alive: when, 500 ms into a flush, nothing but pending writes
// does, the process is waiting at exit for queued messages. A flush with
// nothing pending at all (between writes) is held through 'beforeExit'.
const WARN_AFTER_MS = 500;
const CHECK_EVERY_MS = 100;
const HINT = " Set 'context.blocky = false' to change this behaviour.";
/** What Node lists for a write, a FIN or a stdio write in flight: not the program's own work. */
const IN_FLIGHT = new Set(["WriteWrap", "SimpleWriteWrap", "ShutdownWrap", "PipeWrap", "TTYWrap"]);

/** Flushes under way: since when, and whether the socket's context is blocky. */
const flushing = new Map<object, { since: number; blocky: () => boolean }>();
let listening = false;
let keeper: NodeJS.Timeout | undefined;
let checker: NodeJS.Timeout | undefined;
let warned = false;

const hasProcess = typeof process !== "undefined" && typeof process.on === "function";

/** A closed socket's connection started writing what was queued. */
export function flushStarted(key: object, blocky: () => boolean): void {
  if (!hasProcess || flushing.has(key)) return;
  flushing.set(key, { since: Date.now(), blocky });
  if (!listening) {
    listening = true;
    process.on("beforeExit", atExit);
  }
  if (checker === undefined && typeof process.getActiveResourcesInfo === "function") {
    checker = setInterval(check, CHECK_EVERY_MS);
    checker.unref();
  }
}

/** That flush is over: written, given up, or out of linger. */
export function flushEnded(key: object): void {
  if (!flushing.delete(key) || flushing.size > 0) return;
  keeper?.unref();
  if (checker !== undefined) clearInterval(checker);
  checker = undefined;
  warned = false;
}

/** The loop is empty but flushes are not over: hold the process for them. */
function atExit(): void {
  if (flushing.size === 0) return;
  if (keeper === undefined) keeper = setInterval(() => {}, 1 << 30);
  else keeper.ref();
  check();
}

function check(): void {
  if (warned) return;
  const now = Date.now();
  let oldest = now;
  for (const f of flushing.values()) oldest = Math.min(oldest, f.since);
  if (now - oldest < WARN_AFTER_MS) return;
  if (!process.getActiveResourcesInfo().every((r) => IN_FLIGHT.has(r) || (r === "Timeout" && keeper?.hasRef()))) return;
  warned = true;
  const hint = [...flushing.values()].some((f) => f.blocky()) ? HINT : "";
  // the line zeromq.js writes itself (Node has shut down when it does)
  process.stderr.write(`(node:${process.pid}) WARNING: Waiting for queued ZeroMQ messages to be delivered.${hint}\n`);
}
