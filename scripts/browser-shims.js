// What Node provides and omq's code uses, for the browser bundle (injected by
// scripts/build-browser.mjs; the page's own globals are left alone): Buffer
// (the `buffer` package), timers with unref()/ref() (Node's Timeout), setImmediate
// on a MessageChannel, and the few `process` members omq touches.
import { Buffer } from "buffer";

class Timer {
  constructor(id, clear) {
    this.id = id;
    this.clear = clear;
  }
  unref() {
    return this;
  }
  ref() {
    return this;
  }
  hasRef() {
    return true;
  }
  [Symbol.toPrimitive]() {
    return this.id;
  }
}

const idOf = (t) => (t instanceof Timer ? t.id : t);

function setTimeoutShim(fn, ms, ...args) {
  return new Timer(globalThis.setTimeout(fn, ms, ...args));
}
function clearTimeoutShim(t) {
  globalThis.clearTimeout(idOf(t));
}
function setIntervalShim(fn, ms, ...args) {
  return new Timer(globalThis.setInterval(fn, ms, ...args));
}
function clearIntervalShim(t) {
  globalThis.clearInterval(idOf(t));
}

// setImmediate: a macrotask after pending I/O, as a MessageChannel message is
const queue = [];
let channel;
function setImmediateShim(fn, ...args) {
  const task = { fn, args, cancelled: false };
  queue.push(task);
  if (channel === undefined) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const t = queue.shift();
      if (t !== undefined && !t.cancelled) t.fn(...t.args);
    };
  }
  channel.port2.postMessage(0);
  return task;
}
function clearImmediateShim(task) {
  if (task) task.cancelled = true;
}

const processShim = {
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  env: {},
  pid: 0,
  platform: "browser",
  versions: {},
  emitWarning: (w) => console.warn(w),
  cpuUsage: () => ({ user: 0, system: 0 }),
  hrtime: { bigint: () => BigInt(Math.round(performance.now() * 1e6)) },
};

export {
  Buffer,
  setTimeoutShim as setTimeout,
  clearTimeoutShim as clearTimeout,
  setIntervalShim as setInterval,
  clearIntervalShim as clearInterval,
  setImmediateShim as setImmediate,
  clearImmediateShim as clearImmediate,
  processShim as process,
};
