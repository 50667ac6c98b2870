// zeromq.js parity (#12, "walk the API member by member"): what a socket's
// and a context's plain members read and do at their edges, on zeromq.js
// and omq alike: getters before bind and after close, calls on a closed
// socket, Context option defaults, and the module-level helpers.
import { describe, expect, test } from "vitest";
import { type Lib, same } from "./harness.js";

const T = 10_000;
let n = 0;
const inproc = () => `inproc://parity-m-${process.pid}-${++n}`;

/** Each of `calls` on `lib`, as "ok <value>" or its error code, one per line. */
async function each(lib: Lib, calls: Array<[string, () => unknown]>): Promise<string> {
  const out: string[] = [];
  for (const [label, f] of calls) {
    try {
      const v = await f();
      out.push(`${label}: ok ${v === undefined ? "undefined" : JSON.stringify(v)}`);
    } catch (e) {
      out.push(`${label}: ${(e as { code?: string }).code ?? (e as Error).constructor.name}`);
    }
  }
  return out.join("\n");
}

describe("socket members", () => {
  test("a fresh socket's getters", async () => {
    await same((lib, track) => {
      const s = track(new lib.Dealer());
      return each(lib, [
        ["type", () => s.type],
        ["closed", () => s.closed],
        ["lastEndpoint", () => s.lastEndpoint],
        ["readable", () => s.readable],
        ["writable", () => s.writable],
        ["securityMechanism", () => s.securityMechanism],
        ["context is the default", () => s.context === lib.context],
        ["events.closed", () => s.events.closed],
      ]);
    });
  }, T);

  test("every class's type number", async () => {
    await same((lib, track) =>
      [lib.Pair, lib.Publisher, lib.Subscriber, lib.Request, lib.Reply, lib.Dealer, lib.Router, lib.Pull, lib.Push, lib.XPublisher, lib.XSubscriber, lib.Stream]
        .map((C) => track(new C()).type)
        .join(","),
    );
  }, T);

  test("after close(): getters, and every call", async () => {
    await same(async (lib) => {
      const s = new lib.Dealer();
      await s.bind(inproc());
      s.close();
      return each(lib, [
        ["closed", () => s.closed],
        ["close again", () => s.close()],
        ["bind", () => s.bind(inproc())],
        ["unbind", () => s.unbind("inproc://x")],
        ["connect", () => s.connect("inproc://x")],
        ["disconnect", () => s.disconnect("inproc://x")],
        ["send", () => s.send("x")],
        ["receive", () => s.receive()],
        ["set an option", () => (s.linger = 5)],
        ["read an option", () => s.linger],
        ["getInt32Option", () => s.getInt32Option(17)],
        ["readable", () => s.readable],
      ]);
    });
  }, T);

  test("lastEndpoint follows the last bind, and stays after its unbind", async () => {
    await same(async (lib, track) => {
      const s = track(new lib.Dealer());
      const a = inproc();
      const b = inproc();
      await s.bind(a);
      await s.bind(b);
      const afterTwo = s.lastEndpoint === b;
      await s.unbind(b);
      return `${afterTwo} ${s.lastEndpoint === b}`;
    });
  }, T);

  test("readable and writable follow the queues (PUSH/PULL over inproc)", async () => {
    await same(async (lib, track) => {
      const addr = inproc();
      const pull = track(new lib.Pull());
      const push = track(new lib.Push());
      const seen = [`${push.writable} ${pull.readable}`];
      await pull.bind(addr);
      push.connect(addr);
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`${push.writable} ${pull.readable}`);
      await push.send("x");
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`${push.writable} ${pull.readable}`);
      await pull.receive();
      seen.push(`${push.writable} ${pull.readable}`);
      return seen.join(" | ");
    });
  }, T);

  test("unbind or disconnect of an address never bound or connected: ENOENT", async () => {
    await same((lib, track) => {
      const s = track(new lib.Dealer());
      return each(lib, [
        ["unbind", () => s.unbind("tcp://127.0.0.1:5999")],
        ["disconnect", () => s.disconnect("tcp://127.0.0.1:5999")],
      ]);
    });
  }, T);
});

describe("Context members", () => {
  test("a new Context's option defaults", async () => {
    await same((lib) => {
      const c = new lib.Context();
      return each(lib, [
        ["blocky", () => c.blocky],
        ["ioThreads", () => c.ioThreads],
        ["maxMessageSize", () => c.maxMessageSize],
        ["maxSockets", () => c.maxSockets],
        ["ipv6", () => c.ipv6],
      ]);
    });
  }, T);

  test("Context options set at construction read back", async () => {
    await same((lib) => {
      const c = new lib.Context({ blocky: false, ioThreads: 2, maxMessageSize: 1024, maxSockets: 64, ipv6: true });
      return [c.blocky, c.ioThreads, c.maxMessageSize, c.maxSockets, c.ipv6].join(",");
    });
  }, T);

  test("a socket in a given context", async () => {
    await same((lib, track) => {
      const c = new lib.Context();
      const s = track(new lib.Push({ context: c }));
      return `${s.context === c} ${s.context === lib.context}`;
    });
  }, T);
});

describe("module helpers", () => {
  test("curveKeyPair(): two Z85 keys of 40 characters, different each time", async () => {
    await same((lib) => {
      const a = lib.curveKeyPair();
      const b = lib.curveKeyPair();
      return `${a.publicKey.length} ${a.secretKey.length} ${a.publicKey !== b.publicKey} ${/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]+$/.test(a.secretKey)}`;
    });
  }, T);

  test("version is libzmq's", async () => {
    await same((lib) => lib.version);
  }, T);

  test("capability has every key zeromq.js's has, each a boolean (omq adds its transports: README)", async () => {
    const keys = Object.keys((await import("./harness.js")).zmq().capability).sort();
    expect(keys.length).toBeGreaterThan(0);
    await same((lib) => keys.map((k) => `${k}:${typeof (lib.capability as Record<string, unknown>)[k]}`).join(","));
  }, T);
});
