// jszmq (0.1.2, pure JS, ZWS 2.0 over the `ws` package) behind the small part
// of the omq/zeromq API that bench/worker.js's `push` and `pull` roles use:
// `new Push({ linger })` / `new Pull()`, `bind(address)` (a port of `*` picks a
// free one; sets `lastEndpoint`), `connect(address)`, `await send(msg)`, `for
// await (const [frame, ...more] of sock)` and `close()`. ws:// only, and no
// security mechanism: a CURVE option is refused, `linger` is ignored.
//
// jszmq has no high-water mark: its `send()` hands every frame to the
// WebSocket at once (or to an unbounded queue while the connection is not up).
// So that a sender does not buffer a whole run in memory, `send()` here
// resolves at once but, every CHECK_BYTES bytes or CHECK_MSGS messages, waits
// while a peer is still connecting or its WebSocket has more than HIGH_WATER
// bytes buffered (ws's `bufferedAmount`: the net.Socket's write queue), and
// then yields one turn of the event loop (so I/O, timers and run.js's
// commands get their turn).
import { createServer } from "node:http";
import jszmq from "jszmq";

const HIGH_WATER = 1 << 20; // bytes buffered in a peer's WebSocket before send() waits
const CHECK_BYTES = 64 * 1024;
const CHECK_MSGS = 256;
const ACTIVE = 3; // jszmq's WebSocketEndpoint State.Active
const RESOLVED = Promise.resolve();
const CURVE_OPTIONS = new Set(["curveServer", "curveSecretKey", "curvePublicKey", "curveServerKey"]);

function checkOptions(options = {}) {
  for (const [k, v] of Object.entries(options)) {
    if (k === "linger") continue; // jszmq has none; the bench passes 0 (drop on close), which is what close() does
    if (CURVE_OPTIONS.has(k)) throw new Error(`jszmq has no security mechanism: option ${k} is not supported`);
    if (v !== undefined) throw new Error(`jszmq adapter: option ${k} is not supported`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));

// jszmq listens to a WebSocket's open, message and close but not to its
// "error" event, so a refused connect or a reset connection would throw from
// the EventEmitter (an uncaught exception). ws emits "close" after "error",
// so jszmq still sees the connection end (and a dialing endpoint
// reconnects); the error itself is counted and otherwise ignored, as omq and
// zeromq do.
let wsErrors = 0;
const onWsError = () => wsErrors++;
export const stats = () => ({ wsErrors });
const guard = (ws) => {
  if (ws && typeof ws.on === "function" && !ws.listeners("error").includes(onWsError)) ws.on("error", onWsError);
};

class Base {
  constructor(sock) {
    this.sock = sock;
    this.lastEndpoint = undefined;
    this.closed = false;
    this.servers = [];
    // accepted connections: jszmq's listeners call this (bound) method on "attach"
    const attach = sock.bindAttachEndpoint;
    sock.bindAttachEndpoint = (ep) => {
      guard(ep.socket);
      attach(ep);
    };
  }

  // ws://host:port/path; port `*` = a free port. The HTTP server is ours (so it
  // listens on the host given, and port 0 needs no guess); jszmq attaches its
  // WebSocket server to it (its bind(address, httpServer)).
  async bind(address) {
    const m = /^ws:\/\/(\[[^\]]+\]|[^/:]+):(\*|\d+)(\/.*)?$/.exec(address);
    if (!m) throw new Error(`jszmq adapter: cannot bind ${address} (ws://host:port/path or ws://host:*/path only)`);
    const [, host, port, path = "/"] = m;
    const server = createServer((req, res) => {
      res.statusCode = 426; // plain HTTP requests: upgrade required
      res.end();
    });
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port === "*" ? 0 : Number(port), host.replace(/^\[|\]$/g, ""), () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.servers.push(server);
    const endpoint = `ws://${host}:${server.address().port}${path}`;
    this.sock.bind(endpoint, server);
    this.lastEndpoint = endpoint;
  }

  connect(address) {
    if (!address.startsWith("ws://")) throw new Error(`jszmq adapter: ws:// only, not ${address}`);
    this.sock.connect(address);
    // the dialing endpoint makes a new WebSocket in its connect() (the first
    // one above, and one per reconnect, from a timer holding the same function)
    const ep = this.sock.endpoints[this.sock.endpoints.length - 1];
    guard(ep.socket);
    const dial = ep.connect;
    ep.connect = () => {
      dial();
      guard(ep.socket);
    };
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.sock.close(); // its listeners (WebSocket servers, which terminate their clients) and dialed endpoints
    for (const s of this.servers) {
      s.close();
      s.closeAllConnections?.();
    }
    this.servers = [];
  }
}

export class Push extends Base {
  constructor(options) {
    checkOptions(options);
    super(new jszmq.Push());
    this.bytes = 0;
    this.msgs = 0;
  }

  send(msg) {
    if (this.closed) return Promise.reject(new Error("socket closed"));
    const frames = Array.isArray(msg) ? msg : [msg];
    this.sock.send(frames); // synchronous: to the WebSocket, or queued by jszmq
    for (const f of frames) this.bytes += f.length + 1;
    this.msgs++;
    if (this.bytes < CHECK_BYTES && this.msgs < CHECK_MSGS) return RESOLVED;
    this.bytes = 0;
    this.msgs = 0;
    return this.pace();
  }

  // a peer to wait for: {connecting: true} while none is up, {ws} when its
  // WebSocket has more than HIGH_WATER buffered, null when all may take more
  congested() {
    const eps = this.sock.loadBalancer?.endpoints ?? [];
    if (eps.length === 0) return { connecting: true };
    for (const ep of eps) {
      if (ep.state !== ACTIVE) return { connecting: true };
      if (ep.socket?.bufferedAmount > HIGH_WATER) return { ws: ep.socket };
    }
    return null;
  }

  async pace() {
    for (let c = this.congested(); c !== null && !this.closed; c = this.congested()) {
      const net = c.ws?._socket; // ws 7 keeps its net.Socket here
      if (c.connecting || !net) await sleep(1);
      else {
        await new Promise((resolve) => {
          const done = () => {
            clearTimeout(t);
            net.off("drain", done);
            net.off("close", done);
            resolve();
          };
          const t = setTimeout(done, 20); // in case a drain is not pending after all
          net.once("drain", done);
          net.once("close", done);
        });
      }
    }
    await turn();
  }
}

export class Pull extends Base {
  constructor(options) {
    checkOptions(options);
    super(new jszmq.Pull());
    this.queue = [];
    this.head = 0;
    this.waiter = null;
    this.sock.on("message", (...frames) => {
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w({ value: frames, done: false });
      } else this.queue.push(frames);
    });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  next() {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  // `break` out of for await: the socket stays open (as omq's and zeromq's)
  return() {
    return Promise.resolve({ value: undefined, done: true });
  }

  close() {
    super.close();
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
  }
}
