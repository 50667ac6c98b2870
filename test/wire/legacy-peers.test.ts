// Old peers: omq talks ZMTP 2.0 (RFC 15) and ZMTP 1.0 (RFC 13) the way libzmq
// 4.3 downgrades to them, checked against a peer written here from the RFCs
// (test/support/legacy-peer.ts), as client and as server, over tcp and ipc.
import type { Server } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Dealer, Publisher, Pull, Push, Reply, Request, Router, type Socket, Subscriber, curveKeyPair } from "../../index.js";
import { LEGACY_TYPES, LegacyPeer, type LegacyRevision, T, eventsSeen, nextEvent, sleep, tempDir } from "../helpers.js";

const dir = tempDir("omq-legacy-");
afterAll(() => dir.remove());
let seq = 0;
const cleanup: Array<{ close(): void }> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c.close();
});

function address(transport: "tcp" | "ipc"): string {
  return transport === "tcp" ? "tcp://127.0.0.1:0" : `ipc://${dir.dir}/${++seq}.sock`;
}

/** omq and a legacy peer, joined with omq binding or omq connecting. */
async function join<S extends Socket>(
  omq: S,
  transport: "tcp" | "ipc",
  omqBinds: boolean,
  o: { revision: LegacyRevision; socketType: number; identity?: Buffer },
): Promise<{ omq: S; peer: LegacyPeer }> {
  cleanup.push(omq);
  let peer: LegacyPeer;
  if (omqBinds) {
    await omq.bind(address(transport));
    peer = await LegacyPeer.connect(omq.lastEndpoint!, o);
  } else {
    const l = await LegacyPeer.listen(address(transport), o);
    cleanup.push(l.server as Server & { close(): void });
    omq.connect(l.address);
    peer = await l.accepted;
  }
  cleanup.push(peer);
  await eventsSeen(omq, "handshake", 1);
  await peer.until(() => peer.peerIdentity !== undefined, 5000, "omq's greeting");
  return { omq, peer };
}

const MiB = Buffer.alloc(1024 * 1024, 7);

for (const transport of ["tcp", "ipc"] as const) {
  for (const revision of ["2.0", "1.0"] as const) {
    for (const omqBinds of [true, false]) {
      describe(`ZMTP ${revision} peer over ${transport}, omq ${omqBinds ? "binds" : "connects"}`, () => {
        it("greets as libzmq: signature (padding = identity length + 1), then major 3 / identity", async () => {
          const { peer } = await join(new Dealer({ linger: 0, routingId: "omq-id" }), transport, omqBinds, {
            revision, socketType: LEGACY_TYPES.DEALER,
          });
          const g = peer.peerGreeting;
          expect(g[0]).toBe(0xff);
          expect(g.readUInt32BE(5)).toBe("omq-id".length + 1);
          expect(g[9]).toBe(0x7f);
          if (revision === "2.0") {
            expect([g[10], g[11]]).toEqual([3, 5]); // major 3, then our type (DEALER) instead of the 3.x rest
          }
          expect(peer.peerIdentity!.toString()).toBe("omq-id");
        }, T);

        it("PUSH -> PULL and PULL <- PUSH: multipart and a 1 MiB frame, in order", async () => {
          const a = await join(new Push({ linger: 0 }), transport, omqBinds, { revision, socketType: LEGACY_TYPES.PULL });
          await a.omq.send(["one", "", "three"]);
          await a.omq.send(MiB);
          expect((await a.peer.receive()).map(String)).toEqual(["one", "", "three"]);
          expect((await a.peer.receive())[0]!.equals(MiB)).toBe(true);
          const b = await join(new Pull({ linger: 0, receiveTimeout: 5000 }), transport, omqBinds, { revision, socketType: LEGACY_TYPES.PUSH });
          b.peer.send("x", "y");
          b.peer.send(MiB);
          expect((await b.omq.receive()).map(String)).toEqual(["x", "y"]);
          expect((await b.omq.receive())[0]!.equals(MiB)).toBe(true);
        }, T);

        it("REQ -> REP and REP <- REQ: envelopes as RFC 28", async () => {
          const a = await join(new Request({ linger: 0, receiveTimeout: 5000 }), transport, omqBinds, { revision, socketType: LEGACY_TYPES.REP });
          await a.omq.send("hello");
          expect((await a.peer.receive()).map(String)).toEqual(["", "hello"]);
          a.peer.send("", "world");
          expect((await a.omq.receive()).map(String)).toEqual(["world"]);
          const b = await join(new Reply({ linger: 0, receiveTimeout: 5000 }), transport, omqBinds, { revision, socketType: LEGACY_TYPES.REQ });
          b.peer.send("", "ping");
          expect((await b.omq.receive()).map(String)).toEqual(["ping"]);
          await b.omq.send("pong");
          expect((await b.peer.receive()).map(String)).toEqual(["", "pong"]);
        }, T);

        it("DEALER -> ROUTER with identities both ways", async () => {
          const a = await join(new Router({ linger: 0, receiveTimeout: 5000 }), transport, omqBinds, {
            revision, socketType: LEGACY_TYPES.DEALER, identity: Buffer.from("old-dealer"),
          });
          a.peer.send("hi");
          const [id, body] = await a.omq.receive();
          expect([id!.toString(), body!.toString()]).toEqual(["old-dealer", "hi"]);
          await a.omq.send(["old-dealer", "back"]);
          expect((await a.peer.receive()).map(String)).toEqual(["back"]);
          const b = await join(new Dealer({ linger: 0, routingId: "new-dealer", receiveTimeout: 5000 }), transport, omqBinds, {
            revision, socketType: LEGACY_TYPES.ROUTER,
          });
          expect(b.peer.peerIdentity!.toString()).toBe("new-dealer");
          await b.omq.send(["a", "b"]);
          expect((await b.peer.receive()).map(String)).toEqual(["a", "b"]);
          b.peer.send("c");
          expect((await b.omq.receive()).map(String)).toEqual(["c"]);
        }, T);

        it(`PUB -> SUB: ${revision === "2.0" ? "subscriptions travel as messages and the publisher filters" : "no subscriptions on the wire: the publisher sends everything (libzmq's phantom subscription)"}`, async () => {
          const { omq: pub, peer } = await join(new Publisher({ linger: 0 }), transport, omqBinds, { revision, socketType: LEGACY_TYPES.SUB });
          if (revision === "2.0") peer.send(Buffer.from("\x01A"));
          // the subscription (or the phantom one) is applied when its bytes are read: publish until one arrives
          for (let i = 0; i < 200 && peer.received().length === 0; i++) {
            await pub.send("A-probe");
            await sleep(10);
          }
          for (const m of ["B1", "A1", "A2"]) await pub.send(m);
          await peer.until(() => false, 200, "nothing").catch(() => {});
          const got = peer.received().map((m) => m[0]!.toString()).filter((s) => s !== "A-probe");
          expect(got).toEqual(revision === "2.0" ? ["A1", "A2"] : ["B1", "A1", "A2"]);
        }, T);

        it("SUB <- PUB: subscriptions go out as 0x01 messages (2.0); the SUB filters", async () => {
          const sub = new Subscriber({ linger: 0, receiveTimeout: 5000 });
          sub.subscribe("A");
          const { peer } = await join(sub, transport, omqBinds, { revision, socketType: LEGACY_TYPES.PUB });
          if (revision === "2.0") expect((await peer.receive()).map(String)).toEqual(["\x01A"]);
          peer.send("B1");
          peer.send("A1", "more");
          expect((await sub.receive()).map(String)).toEqual(["A1", "more"]);
        }, T);
      });
    }
  }
}

describe("what an old peer cannot do", () => {
  it.each([
    ["CURVE", () => ({ curveServer: true, curveSecretKey: curveKeyPair().secretKey })],
    ["PLAIN", () => ({ plainServer: true })],
  ] as const)("a %s server refuses an old peer (no mechanism exists at those revisions); nothing it sends arrives", async (_name, opts) => {
    const server = new Pull({ linger: 0, receiveTimeout: 300, ...opts() });
    try {
      await server.bind("tcp://127.0.0.1:*");
      const refused = nextEvent(server, "handshake:error:protocol", 5000);
      const old = await LegacyPeer.connect(server.lastEndpoint!, { revision: "2.0", socketType: LEGACY_TYPES.PUSH });
      old.send("from an old peer");
      expect(((await refused) as { error?: { code?: string } }).error?.code).toBe("ERR_ZMTP_MECHANISM_MISMATCH");
      await expect(server.receive()).rejects.toMatchObject({ code: "EAGAIN" });
      old.close();
    } finally {
      server.close();
    }
  });
});
