// The clone pattern (ZeroMQ guide, chapter 5): a server keeps a key-value
// state and publishes every change with a sequence number; a client gets a
// snapshot over ROUTER/DEALER, then applies the published updates that come
// after it. PUB/SUB loses messages by design (a slow joiner, a reconnect, a
// subscriber at its HWM), so the client checks the sequence: on a gap it
// takes a fresh snapshot. The server's heartbeat (HUGZ, with the current
// sequence) shows a client that missed the last updates that it is behind.
// Timers come from the sockets' context clock, so the same code runs in
// virtual time under omq/testing.
//
// Run alone: node examples/reliability/clone.js [tcp|ipc|inproc]
import { Dealer, Publisher, Router, Subscriber, context as defaultContext } from "omq";
import { endpointFor, runIfMain } from "../util.js";

export class CloneServer {
  /** snapshots: a bound ROUTER; updates: a bound PUB. */
  constructor(snapshots, updates, { hugz = 1000 } = {}) {
    this.snapshots = snapshots;
    this.updates = updates;
    this.clock = updates.context.clock;
    this.state = new Map();
    this.seq = 0;
    this.timer = this.clock.setInterval(() => this.updates.send(["HUGZ", String(this.seq), ""]).catch(() => {}), hugz);
    this.done = this.serveSnapshots().catch(() => {});
  }

  /** Change one key and publish the change. */
  async set(key, value) {
    this.seq++;
    this.state.set(key, value);
    await this.updates.send([key, String(this.seq), value]);
  }

  async serveSnapshots() {
    for await (const [client, request] of this.snapshots) {
      if (request?.toString() !== "ICANHAZ?") continue;
      for (const [k, v] of this.state) await this.snapshots.send([client, "KVSYNC", k, v]);
      await this.snapshots.send([client, "KTHXBAI", String(this.seq), ""]);
    }
  }

  close() {
    this.clock.clearInterval(this.timer);
    this.snapshots.close();
    this.updates.close();
  }
}

export class CloneClient {
  /** socketOptions: for both sockets (HWMs, heartbeats, reconnect interval). */
  constructor(snapshotEndpoint, updatesEndpoint, { context = defaultContext, timeout = 2000, socketOptions = {} } = {}) {
    this.state = new Map();
    this.seq = -1;
    this.snapshots = 0;
    /** Updates applied since the last snapshot. */
    this.applied = 0;
    this.sub = new Subscriber({ linger: 0, ...socketOptions, context });
    this.sub.connect(updatesEndpoint);
    this.sub.subscribe();
    this.dealer = new Dealer({ linger: 0, ...socketOptions, context, receiveTimeout: timeout });
    this.dealer.connect(snapshotEndpoint);
    this.done = this.run().catch(() => {});
  }

  /** Replace the state with the server's (retrying until a snapshot comes). */
  async snapshot() {
    for (;;) {
      await this.dealer.send("ICANHAZ?");
      const state = new Map();
      try {
        for (;;) {
          const [kind, k, v] = await this.dealer.receive();
          if (kind.toString() === "KVSYNC") state.set(k.toString(), v.toString());
          else if (kind.toString() === "KTHXBAI") {
            this.state = state;
            this.seq = Number(k);
            this.snapshots++;
            this.applied = 0;
            return;
          }
        }
      } catch (e) {
        if (e.code !== "EAGAIN") throw e;
      }
    }
  }

  async run() {
    await this.snapshot();
    for await (const [key, seqFrame, value] of this.sub) {
      const seq = Number(seqFrame);
      if (key.toString() === "HUGZ") {
        if (seq > this.seq) await this.resync(seq);
        continue;
      }
      if (seq <= this.seq) continue; // already in the snapshot
      if (seq > this.seq + 1 && !this.acceptsGap(seq)) {
        await this.resync(seq);
        continue;
      }
      this.state.set(key.toString(), value.toString());
      this.seq = seq;
      this.applied++;
    }
  }

  /** An update past a gap: never applied, a fresh snapshot instead. */
  acceptsGap(_seq) {
    return false;
  }

  /** Missed updates up to `seq`: take a fresh snapshot. */
  async resync(_seq) {
    await this.snapshot();
  }

  close() {
    this.sub.close();
    this.dealer.close();
  }
}

export async function main(transport = "tcp") {
  const router = new Router({ linger: 0 });
  const pub = new Publisher({ linger: 0 });
  await router.bind(endpointFor(transport, "clone-snapshot"));
  await pub.bind(endpointFor(transport, "clone-updates"));
  const server = new CloneServer(router, pub, { hugz: 100 });
  for (let i = 0; i < 5; i++) await server.set(`key${i % 3}`, `v${i}`);
  // a client that joins late gets the snapshot, then the live updates
  const client = new CloneClient(router.lastEndpoint, pub.lastEndpoint);
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 5; i < 10; i++) await server.set(`key${i % 3}`, `v${i}`);
  for (let i = 0; i < 50 && client.seq < server.seq; i++) await new Promise((r) => setTimeout(r, 50));
  const same = JSON.stringify([...client.state].sort()) === JSON.stringify([...server.state].sort());
  console.log(`  clone[${transport}]: client at seq ${client.seq} of ${server.seq}, state ${same ? "equal" : "DIFFERENT"}: ${[...client.state].map(([k, v]) => `${k}=${v}`).join(" ")}`);
  client.close();
  server.close();
  await Promise.all([client.done, server.done]);
  if (!same) throw new Error("clone client did not converge");
  return client.state;
}

runIfMain(import.meta.url, main);
