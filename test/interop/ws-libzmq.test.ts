// ZWS 2.0 against libzmq's own ws transport (the zeromq devDependency's
// libzmq 4.3.5 has ws:// built in, though `capability` does not list it):
// DEALER/ROUTER and PUB/SUB, omq on either end, both bind orders, over
// ZWS2.0/NULL (libzmq's default offer) and the bare ZWS2.0 (omq's
// wsNoMechanism: an omq client offers only it, an omq server picks it when
// libzmq offers it), then PLAIN and CURVE over ws.
import { afterEach, describe, expect, test } from "vitest";
import { type AnySocket, type Lib, closeMadeSockets, freePort, makeSocket, recv, sleep } from "../helpers.js";
import { keyPair, newContext, zapHandler } from "../support/security.js";

const T = 20_000;
const cleanups: Array<() => void> = [];
afterEach(() => {
  closeMadeSockets();
  for (const c of cleanups.splice(0)) c();
});


type Order = "bind first" | "connect first";
const pairs: Array<[Lib, Lib]> = [["zmq", "omq"], ["omq", "zmq"]];
const modes = [
  { name: "ZWS2.0/NULL", omq: {} },
  { name: "ZWS2.0 (bare)", omq: { wsNoMechanism: true } },
];

/** Options for `lib`'s socket in this mode (libzmq has no wsNoMechanism). */
function opts(lib: Lib, mode: (typeof modes)[number], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return lib === "omq" ? { ...mode.omq, ...extra } : extra;
}

/** Join server (bind) and client (connect) in the given order; the address the client used. */
async function join(server: AnySocket, client: AnySocket, order: Order, path: string): Promise<string> {
  if (order === "bind first") {
    await server.bind(`ws://127.0.0.1:*${path}`);
    client.connect(server.lastEndpoint!);
    return server.lastEndpoint!;
  }
  const addr = `ws://127.0.0.1:${await freePort()}${path}`;
  client.connect(addr);
  await sleep(50);
  await server.bind(addr);
  return addr;
}

describe.each(modes)("libzmq ws interop over $name", (mode) => {
  describe.each(["bind first", "connect first"] as const)("%s", (order) => {
    test.each(pairs)("%s ROUTER (bound) ↔ %s DEALER: routing id, multipart, empty and 1 MiB frames both ways", async (sl, cl) => {
      const router = makeSocket(sl, "router", opts(sl, mode));
      const dealer = makeSocket(cl, "dealer", opts(cl, mode, { routingId: "dealer-1" }));
      await join(router, dealer, order, "/rd");
      const big = Buffer.alloc(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      // a copy: libzmq masks a client's large frames in place, in the Buffer zeromq.js was given
      await dealer.send(["hello", Buffer.alloc(0), Buffer.from(big)]);
      const [id, a, empty, b] = await recv(router, "the dealer's request");
      expect(String(id)).toBe("dealer-1");
      expect(String(a)).toBe("hello");
      expect(empty!.length).toBe(0);
      expect(b!.equals(big)).toBe(true);
      await router.send([id!, "reply", Buffer.from(big)]);
      const [r, rb] = await recv(dealer, "the router's reply");
      expect(String(r)).toBe("reply");
      expect(rb!.equals(big)).toBe(true);
    }, T);

    test.each(pairs)("%s PUB (bound) → %s SUB: only subscribed topics arrive, unsubscribe stops them", async (pl, sl) => {
      const pub = makeSocket(pl, "pub", opts(pl, mode));
      const sub = makeSocket(sl, "sub", opts(sl, mode));
      sub.subscribe("weather");
      await join(pub, sub, order, "/ps");
      // no acknowledgement of a subscription exists: publish until the first arrives
      // (receiveTimeout, not a race: a receive left pending would take a later message)
      const timed = sub as AnySocket & { receiveTimeout: number };
      timed.receiveTimeout = 100;
      let first: Buffer[] | undefined;
      for (let i = 0; i < 100 && first === undefined; i++) {
        await pub.send(["sports", "x"]);
        await pub.send(["weather", `w${i}`]);
        first = await sub.receive().catch(() => undefined);
      }
      timed.receiveTimeout = 10_000;
      expect(first?.map(String)[0]).toBe("weather");
      await pub.send(["sports", "no"]);
      await pub.send(["weather", "last"]);
      // messages after the first keep their order; sports never comes
      for (;;) {
        const m = (await recv(sub, "the weather messages")).map(String);
        expect(m[0]).toBe("weather");
        if (m[1] === "last") break;
      }
      sub.unsubscribe("weather");
      await sleep(200);
      await pub.send(["weather", "after unsubscribe"]);
      timed.receiveTimeout = 300;
      await expect(sub.receive()).rejects.toThrow();
    }, T);
  });
});

describe("libzmq ws interop with security", () => {
  test.each(pairs)("PLAIN over ws (ZWS2.0/PLAIN): %s server with a ZAP handler, %s client", async (sl, cl) => {
    const ctx = newContext(sl);
    const zap = await zapHandler(sl, ctx, (req) => ({ status: String(req[6]) === "PLAIN" && String(req[8]) === "pw" ? "200" : "400", userId: "u" }));
    cleanups.push(() => zap.close());
    const server = makeSocket(sl, "router", { context: ctx, plainServer: true });
    await server.bind("ws://127.0.0.1:*/plain");
    const client = makeSocket(cl, "dealer", { plainUsername: "user", plainPassword: "pw" });
    client.connect(server.lastEndpoint!);
    await client.send(["over", "plain"]);
    const [id, ...m] = await recv(server, "the PLAIN client's message");
    expect(m.map(String)).toEqual(["over", "plain"]);
    await server.send([id!, "ok"]);
    expect((await recv(client, "the reply")).map(String)).toEqual(["ok"]);
  }, T);

  test.each(pairs)("CURVE over ws (ZWS2.0/CURVE): %s server, %s client, 256 KiB boxes both ways", async (sl, cl) => {
    const sk = keyPair(cl);
    const ck = keyPair(sl);
    const server = makeSocket(sl, "router", { curveServer: true, curveSecretKey: sk.secretKey, curvePublicKey: sk.publicKey });
    await server.bind("ws://127.0.0.1:*/curve");
    const client = makeSocket(cl, "dealer", { curveServerKey: sk.publicKey, curvePublicKey: ck.publicKey, curveSecretKey: ck.secretKey });
    client.connect(server.lastEndpoint!);
    const big = Buffer.alloc(256 * 1024, 0x5a);
    await client.send(["secret", Buffer.from(big)]);
    const [id, s, b] = await recv(server, "the CURVE client's message");
    expect(String(s)).toBe("secret");
    expect(b!.equals(big)).toBe(true);
    await server.send([id!, Buffer.from(big)]);
    expect((await recv(client, "the reply"))[0]!.equals(big)).toBe(true);
  }, T);
});

describe("libzmq ws interop: large frames and restarts", () => {
  test.each(pairs)("%s PULL (bound) ← %s PUSH: a 20 MB frame and an empty one", async (sl, cl) => {
    const pull = makeSocket(sl, "pull");
    await pull.bind("ws://127.0.0.1:*/big");
    const push = makeSocket(cl, "push");
    push.connect(pull.lastEndpoint!);
    const big = Buffer.alloc(20e6);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    await push.send([Buffer.from(big), Buffer.alloc(0)]); // a copy: libzmq masks in place
    const [b, e] = await recv(pull, "the 20 MB message", 30_000);
    expect(b!.equals(big)).toBe(true);
    expect(e!.length).toBe(0);
  }, 40_000);

  test.each(pairs)("%s PULL restarts on the same address; the %s PUSH reconnects", async (sl, cl) => {
    const first = makeSocket(sl, "pull");
    await first.bind(`ws://127.0.0.1:${await freePort()}/restart`);
    const addr = first.lastEndpoint!;
    const push = makeSocket(cl, "push", { reconnectInterval: 50 });
    push.connect(addr);
    await push.send("before");
    expect((await recv(first, "the first message")).map(String)).toEqual(["before"]);
    first.close();
    await sleep(300);
    const second = makeSocket(sl, "pull");
    await second.bind(addr);
    await push.send("after");
    expect((await recv(second, "the message after the restart")).map(String)).toEqual(["after"]);
  }, T);
});
