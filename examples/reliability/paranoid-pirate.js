// Paranoid Pirate (ZeroMQ guide, chapter 4): a queue between Lazy Pirate
// clients and workers that come and go. Workers announce themselves (READY)
// and exchange heartbeats with the queue; the queue hands each request to
// the worker that has been idle longest, forgets workers it has not heard
// from for `liveness` heartbeats, and gives the requests such a worker held
// to the next one (the guide's queue drops them and relies on clients
// retrying; this one does not lose them). Workers reconnect with backoff
// when the queue falls silent. Timers come from the sockets' context clock,
// so the same code runs in virtual time under omq/testing.
//
// Run alone: node examples/reliability/paranoid-pirate.js [tcp|ipc|inproc]
import { Dealer, Router, context as defaultContext } from "omq";
import { endpointFor, runIfMain } from "../util.js";
import { LazyPirateClient } from "./lazy-pirate.js";

const READY = "READY";
const HEARTBEAT = "HEARTBEAT";

function sleep(clock, ms) {
  return new Promise((r) => clock.setTimeout(r, ms));
}

export class ParanoidPirateQueue {
  /** frontend: a bound ROUTER for clients; backend: a bound ROUTER for workers. */
  constructor(frontend, backend, { heartbeatInterval = 1000, liveness = 3 } = {}) {
    this.frontend = frontend;
    this.backend = backend;
    this.clock = backend.context.clock;
    this.interval = heartbeatInterval;
    this.liveness = liveness;
    /** worker id (latin1) → { id, expiry, held: requests it is working on } */
    this.workers = new Map();
    /** idle workers, longest idle first */
    this.idle = [];
    /** requests ([client id, "", ...body]) waiting for a worker */
    this.pending = [];
    this.timer = this.clock.setInterval(() => this.tick(), heartbeatInterval);
    this.done = Promise.all([this.serveClients(), this.serveWorkers()]).catch(() => {});
  }

  async serveClients() {
    for await (const request of this.frontend) {
      this.pending.push(request);
      this.dispatch();
    }
  }

  async serveWorkers() {
    for await (const [id, ...rest] of this.backend) {
      const key = id.toString("latin1");
      let w = this.workers.get(key);
      if (w === undefined) {
        w = { id, expiry: 0, held: [] };
        this.workers.set(key, w);
        this.idle.push(w);
      }
      w.expiry = this.clock.now() + this.interval * this.liveness;
      const kind = rest.length === 1 ? rest[0].toString() : undefined;
      if (kind === READY || kind === HEARTBEAT) {
        if (kind === READY && !this.idle.includes(w)) this.idle.push(w);
      } else {
        // a reply: [client id, "", ...body]
        w.held.shift();
        if (!this.idle.includes(w)) this.idle.push(w);
        await this.frontend.send(rest);
      }
      this.dispatch();
    }
  }

  dispatch() {
    while (this.pending.length > 0 && this.idle.length > 0) {
      const w = this.idle.shift();
      const request = this.pending.shift();
      w.held.push(request);
      this.backend.send([w.id, ...request]).catch(() => {});
    }
  }

  tick() {
    const now = this.clock.now();
    for (const [key, w] of this.workers) {
      if (w.expiry > now) continue;
      this.workers.delete(key);
      this.idle = this.idle.filter((x) => x !== w);
      this.expired(w);
    }
    for (const w of this.workers.values()) this.backend.send([w.id, HEARTBEAT]).catch(() => {});
    this.dispatch();
  }

  /** A worker fell silent: what it held goes first to the next worker. */
  expired(w) {
    this.pending.unshift(...w.held);
  }

  close() {
    this.clock.clearInterval(this.timer);
    this.frontend.close();
    this.backend.close();
  }
}

/**
 * A worker: connects to the queue's backend, says READY, answers requests
 * with `handler(body) → reply`, heartbeats, and reconnects (backoff from
 * `reconnect` up to `reconnectMax` ms) once the queue is silent for
 * `liveness` intervals. Runs until stop().
 */
export class ParanoidPirateWorker {
  constructor(endpoint, handler, { context = defaultContext, heartbeatInterval = 1000, liveness = 3, reconnect = 1000, reconnectMax = 32000 } = {}) {
    Object.assign(this, { endpoint, handler, context, heartbeatInterval, liveness, reconnect, reconnectMax });
    this.clock = context.clock;
    this.stopped = false;
    this.done = this.run();
  }

  async run() {
    let backoff = this.reconnect;
    while (!this.stopped) {
      const socket = new Dealer({ context: this.context, receiveTimeout: this.heartbeatInterval, linger: 0 });
      this.socket = socket;
      socket.connect(this.endpoint);
      await socket.send(READY);
      let liveness = this.liveness;
      let nextBeat = this.clock.now() + this.heartbeatInterval;
      while (!this.stopped && liveness > 0) {
        let msg;
        try {
          msg = await socket.receive();
        } catch (e) {
          if (e.code !== "EAGAIN") throw e;
          msg = undefined;
        }
        if (msg === undefined) liveness--;
        else if (msg.length === 1 && msg[0].toString() === HEARTBEAT) liveness = this.liveness;
        else if (msg.length >= 3) {
          liveness = this.liveness;
          backoff = this.reconnect;
          const [client, empty, ...body] = msg;
          const reply = await this.handler(body);
          await socket.send([client, empty, ...reply]);
        }
        if (this.clock.now() >= nextBeat) {
          nextBeat = this.clock.now() + this.heartbeatInterval;
          await socket.send(HEARTBEAT);
        }
      }
      socket.close();
      if (this.stopped) break;
      // the queue is gone: wait, then reconnect with a fresh socket
      await sleep(this.clock, backoff);
      backoff = Math.min(backoff * 2, this.reconnectMax);
    }
  }

  stop() {
    this.stopped = true;
    this.socket?.close();
  }
}

export async function main(transport = "tcp") {
  const frontend = new Router({ linger: 0 });
  const backend = new Router({ linger: 0 });
  await frontend.bind(endpointFor(transport, "pp-front"));
  await backend.bind(endpointFor(transport, "pp-back"));
  const queue = new ParanoidPirateQueue(frontend, backend, { heartbeatInterval: 200 });
  // an echo worker: replies [seq, "re:" + body] to the client's ["", seq, body]
  const echo = ([seq, body]) => [seq, `re:${body}`];
  const workers = [1, 2].map(() => new ParanoidPirateWorker(backend.lastEndpoint, echo, { heartbeatInterval: 200, reconnect: 200 }));
  const client = new LazyPirateClient(frontend.lastEndpoint, { timeout: 1000, retries: 3 });
  const replies = [];
  for (let i = 0; i < 4; i++) replies.push(await client.request(`job ${i}`));
  // a worker leaves; the queue forgets it after three silent heartbeats and the other serves on
  workers[0].stop();
  for (let i = 4; i < 6; i++) replies.push(await client.request(`job ${i}`));
  console.log(`  paranoid pirate[${transport}]: ${replies.join(", ")}`);
  client.close();
  for (const w of workers) w.stop();
  queue.close();
  await Promise.all([queue.done, ...workers.map((w) => w.done.catch(() => {}))]);
  return replies;
}

runIfMain(import.meta.url, main);
