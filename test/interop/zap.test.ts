// ZAP (RFC 27) as libzmq does it: the request an omq security server sends
// its handler is frame for frame the one libzmq sends for the same client;
// handlers that fail or never answer fail that handshake only.
import { afterEach, describe, expect, test } from "vitest";
import * as omq from "../../index.js";
import {
  LEGACY_TYPES, LegacyPeer, type Lib, RawPeer, closeMadeSockets, command, frame, greeting, makeSocket, nextEvent, property, recv,
} from "../helpers.js";
import { type ZapFrames, keyPair, newContext, zapHandler } from "../support/security.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  closeMadeSockets();
  for (const c of cleanups.splice(0)) c();
});

const serverKeys = keyPair("zmq");
const clientKeys = keyPair("zmq");
const MECHS: Record<string, { server: Record<string, unknown>; client: Record<string, unknown> }> = {
  PLAIN: { server: { plainServer: true }, client: { plainUsername: "admin", plainPassword: "secret" } },
  CURVE: {
    server: { curveServer: true, curveSecretKey: serverKeys.secretKey },
    client: { curveServerKey: serverKeys.publicKey, curvePublicKey: clientKeys.publicKey, curveSecretKey: clientKeys.secretKey },
  },
  // NULL goes through ZAP only with a domain
  NULL: { server: {}, client: {} },
};

/** The request a `lib` ROUTER server (zapDomain, routingId set) sends its
 * handler when a libzmq client connects. */
async function requestSeenBy(lib: Lib, mech: string): Promise<ZapFrames> {
  const ctx = newContext(lib);
  const zap = await zapHandler(lib, ctx, () => ({ status: "200" }));
  cleanups.push(() => zap.close());
  const server = makeSocket(lib, "router", { context: ctx, zapDomain: "test-domain", routingId: "srv", ...MECHS[mech]!.server });
  await server.bind("tcp://127.0.0.1:*");
  const client = makeSocket("zmq", "dealer", MECHS[mech]!.client);
  client.connect(server.lastEndpoint!);
  await client.send("x");
  await recv(server, "the client's message after ZAP approved it");
  return zap.requests[0]!;
}

describe("the request an omq server sends its ZAP handler is libzmq's", () => {
  test.each(Object.keys(MECHS))("%s", async (mech) => {
    const want = await requestSeenBy("zmq", mech);
    closeMadeSockets();
    for (const c of cleanups.splice(0)) c();
    const got = await requestSeenBy("omq", mech);
    expect(got.map((f) => f.toString("hex"))).toEqual(want.map((f) => f.toString("hex")));
    // and what that is: delimiter, version, id, domain, address, identity, mechanism, credentials
    expect(got.slice(0, 7).map(String)).toEqual(["", "1.0", "1", "test-domain", "127.0.0.1", "srv", mech]);
  });
});

describe("handlers that fail", () => {
  test("a handler that never answers fails the handshake after handshakeInterval; the socket then serves once a handler answers", async () => {
    const ctx = new omq.Context();
    // a handler whose loop crashed: bound, it takes requests and never replies
    const mute = new omq.Router({ context: ctx, linger: 0 });
    cleanups.push(() => mute.close());
    await mute.bind("inproc://zeromq.zap.01");
    const server = new omq.Pull({ context: ctx, plainServer: true, handshakeInterval: 500, linger: 0, receiveTimeout: 5000 });
    cleanups.push(() => server.close());
    await server.bind("tcp://127.0.0.1:*");
    const failed = nextEvent(server, "handshake:error:other", 5000);
    const client = makeSocket("zmq", "push", { plainUsername: "admin", plainPassword: "secret" });
    client.connect(server.lastEndpoint!);
    const e = (await failed) as { error?: { code?: string } };
    expect(e.error?.code).toBe("EAGAIN");
    const [req] = await mute.receive();
    expect(req).toBeDefined();
    // the socket is fine: swap in a handler that answers, and a new client gets through
    mute.close();
    const auth = omq.setAuthenticator(() => true, ctx);
    cleanups.push(() => auth.close());
    const c2 = makeSocket("zmq", "push", { plainUsername: "admin", plainPassword: "secret" });
    c2.connect(server.lastEndpoint!);
    await c2.send("through");
    expect(String((await server.receive())[0])).toBe("through");
  });

  test("a setAuthenticator function that throws answers 500: both sides see handshake:error:auth 500; the next client gets in", async () => {
    const ctx = new omq.Context();
    let calls = 0;
    const auth = omq.setAuthenticator(() => {
      if (++calls === 1) throw new Error("database down");
      return true;
    }, ctx);
    cleanups.push(() => auth.close());
    const server = new omq.Pull({ context: ctx, plainServer: true, linger: 0, receiveTimeout: 5000 });
    cleanups.push(() => server.close());
    await server.bind("tcp://127.0.0.1:*");
    const serverFailed = nextEvent(server, "handshake:error:auth", 5000);
    const c1 = makeSocket("zmq", "push", { plainUsername: "a", plainPassword: "b", reconnectInterval: 60_000 });
    const clientFailed = nextEvent(c1 as never, "handshake:error:auth", 5000);
    c1.connect(server.lastEndpoint!);
    expect(((await serverFailed) as { error?: { status?: number } }).error?.status).toBe(500);
    expect(((await clientFailed) as { error?: { status?: number } }).error?.status).toBe(500);
    const c2 = makeSocket("omq", "push", { plainUsername: "a", plainPassword: "b" });
    c2.connect(server.lastEndpoint!);
    await c2.send("second");
    expect(String((await server.receive())[0])).toBe("second");
  });

  test("setAuthenticator takes inproc://zeromq.zap.01: a second one, or a Router bound there, gets EADDRINUSE", async () => {
    const ctx = new omq.Context();
    const auth = omq.setAuthenticator(() => true, ctx);
    cleanups.push(() => auth.close());
    expect(() => omq.setAuthenticator(() => true, ctx)).toThrow(expect.objectContaining({ code: "EADDRINUSE" }));
    const r = new omq.Router({ context: ctx, linger: 0 });
    cleanups.push(() => r.close());
    await expect(r.bind("inproc://zeromq.zap.01")).rejects.toMatchObject({ code: "EADDRINUSE" });
    auth.close();
    await r.bind("inproc://zeromq.zap.01");
  });

  test("zapEnforceDomain with a domain: a CURVE server with no handler refuses (EFAULT) instead of letting clients in", async () => {
    const server = new omq.Pull({ context: new omq.Context(), curveServer: true, curveSecretKey: serverKeys.secretKey, zapDomain: "global", zapEnforceDomain: true, linger: 0 });
    cleanups.push(() => server.close());
    await server.bind("tcp://127.0.0.1:*");
    const failed = nextEvent(server, "handshake:error:other", 5000);
    const client = makeSocket("zmq", "push", MECHS.CURVE!.client);
    client.connect(server.lastEndpoint!);
    expect(((await failed) as { error?: { code?: string } }).error?.code).toBe("EFAULT");
  });

  test.each(["zmq", "omq"] as const)("zapEnforceDomain without a domain: a %s CURVE server with no handler lets the client in (libzmq's Stonehouse)", async (lib) => {
    const server = makeSocket(lib, "pull", { context: newContext(lib), curveServer: true, curveSecretKey: serverKeys.secretKey, zapEnforceDomain: true });
    await server.bind("tcp://127.0.0.1:*");
    const client = makeSocket(lib === "omq" ? "zmq" : "omq", "push", MECHS.CURVE!.client);
    client.connect(server.lastEndpoint!);
    await client.send("in");
    expect(String((await recv(server, "the client's message"))[0])).toBe("in");
  });

  test("a ZMTP 2.0 peer cannot slip past ZAP: a NULL server with a zapDomain refuses it", async () => {
    const ctx = new omq.Context();
    let asked = 0;
    const auth = omq.setAuthenticator(() => {
      asked++;
      return false;
    }, ctx);
    cleanups.push(() => auth.close());
    const server = new omq.Pull({ context: ctx, zapDomain: "global", linger: 0, receiveTimeout: 500 });
    cleanups.push(() => server.close());
    await server.bind("tcp://127.0.0.1:*");
    const refused = nextEvent(server, "handshake:error:protocol", 5000);
    const old = await LegacyPeer.connect(server.lastEndpoint!, { revision: "2.0", socketType: LEGACY_TYPES.PUSH });
    cleanups.push(() => old.close());
    old.send("from a ZMTP 2.0 peer");
    expect(((await refused) as { error?: { code?: string } }).error?.code).toBe("ERR_ZMTP_MECHANISM_MISMATCH");
    await expect(server.receive()).rejects.toMatchObject({ code: "EAGAIN" });
    // a ZMTP 3 NULL peer is asked (and refused: the function says no)
    const modern = makeSocket("omq", "push", {});
    modern.connect(server.lastEndpoint!);
    await nextEvent(server, "handshake:error:auth", 5000);
    expect(asked).toBeGreaterThan(0);
  });

  test("a peer cannot claim a User-Id: only the ZAP handler's answer sets it", async () => {
    const ctx = new omq.Context();
    const auth = omq.setAuthenticator(() => true, ctx); // approves with an empty user id
    cleanups.push(() => auth.close());
    const server = new omq.Pull({ context: ctx, zapDomain: "global", linger: 0, receiveTimeout: 5000 });
    cleanups.push(() => server.close());
    await server.bind("tcp://127.0.0.1:*");
    const raw = await RawPeer.connect(server.lastEndpoint!);
    cleanups.push(() => raw.close());
    raw.write(greeting(), command("READY", Buffer.concat([property("Socket-Type", "PUSH"), property("User-Id", "root")])));
    // the server's READY comes once ZAP has approved: then messages may flow
    await raw.until(() => raw.commands().some(([n]) => n === "READY"), 5000, "the server's READY");
    raw.write(frame("hi"));
    const msg = await server.receive();
    expect(String(msg[0])).toBe("hi");
    expect(omq.messageMetadata(msg)?.properties?.get("User-Id")).toBeUndefined();
  });
});
