// Lazy Pirate (ZeroMQ guide, chapter 4): a client that survives a server
// that crashes, restarts, or answers late. Each request carries a sequence
// number; the client waits `timeout` ms for the reply, resends up to
// `retries` times, and ignores replies to earlier requests or attempts (a
// slow server's late answer must never be taken for a later request).
// Timers come from the socket's context clock, so the same code runs in
// virtual time under omq/testing (test/testing/lazy-pirate.test.ts).
//
// Run alone: node examples/reliability/lazy-pirate.js [tcp|ipc|inproc]
import { Dealer, Reply, context as defaultContext } from "omq";
import { endpointFor, runIfMain } from "../util.js";

export class LazyPirateClient {
  constructor(endpoint, { context = defaultContext, timeout = 2500, retries = 3 } = {}) {
    this.seq = 0;
    this.retries = retries;
    // a DEALER keeps one connection across retries (a REQ would have to be
    // reopened after every timeout); the empty frame makes REP servers answer
    this.socket = new Dealer({ context, receiveTimeout: timeout, linger: 0 });
    this.socket.connect(endpoint);
  }

  /** The reply's text; rejects with code EUNAVAILABLE after every attempt timed out. */
  async request(body) {
    const seq = String(++this.seq);
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      await this.socket.send(["", seq, body]);
      for (;;) {
        let reply;
        try {
          reply = await this.socket.receive();
        } catch (e) {
          if (e.code === "EAGAIN") break; // timed out: resend
          throw e;
        }
        if (this.accepts(reply, seq)) return reply[2].toString();
      }
    }
    throw Object.assign(new Error(`no reply to request ${seq} after ${this.retries + 1} attempts`), { code: "EUNAVAILABLE" });
  }

  /** Only the reply to this request (["", seq, body]) will do. */
  accepts(reply, seq) {
    return reply.length === 3 && reply[1].toString() === seq;
  }

  close() {
    this.socket.close();
  }
}

/** The guide's lpserver: a REP answering [seq, body] with [seq, "re:" + body]. */
export async function serveEcho(rep, { onRequest } = {}) {
  for await (const [seq, body] of rep) {
    await onRequest?.(body.toString());
    await rep.send([seq, `re:${body}`]);
  }
}

export async function main(transport = "tcp", rounds = 6) {
  const server = new Reply({ linger: 0 });
  await server.bind(endpointFor(transport, "lazy-pirate"));
  // an overloaded server: every third request is answered only after the client gave up on it
  let n = 0;
  const serving = serveEcho(server, { onRequest: () => (++n % 3 === 0 ? new Promise((r) => setTimeout(r, 400)) : undefined) }).catch(() => {});
  const client = new LazyPirateClient(server.lastEndpoint, { timeout: 250, retries: 3 });
  const replies = [];
  for (let i = 0; i < rounds; i++) replies.push(await client.request(`job ${i}`));
  console.log(`  lazy pirate[${transport}]: ${replies.join(", ")} (${n} requests served for ${rounds} jobs)`);
  client.close();
  server.close();
  await serving;
  return replies;
}

runIfMain(import.meta.url, main);
