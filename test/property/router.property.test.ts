// ROUTER over inproc against a model routing table: DEALER peers with chosen
// (possibly duplicate) or generated routing ids come and go; the ROUTER sends
// to known and unknown ids and receives from every peer. Duplicates are
// refused (first one wins) or, with handover, taken over (last one wins).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dealer, Router } from "../../index.js";
import { closeAll, drain, settled, str, uniqueInproc } from "../helpers.js";

const ID = fc.constantFrom("A", "B", "C", null);
const op = fc.oneof(
  fc.record({ kind: fc.constant("connect" as const), id: ID }),
  fc.record({ kind: fc.constant("close" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("toPeer" as const), who: fc.nat() }),
  fc.record({ kind: fc.constant("toId" as const), id: fc.constantFrom("A", "B", "C", "nobody") }),
  fc.record({ kind: fc.constant("fromPeer" as const), who: fc.nat() }),
);

interface Peer {
  sock: Dealer;
  /** The id the ROUTER files this peer under (undefined: generated, not learnt yet). */
  id: string | undefined;
  alive: boolean;
  /** A duplicate id without handover: connected, but nothing it sends is taken. */
  refused: boolean;
  /** Handed over to a newcomer: the ROUTER closed its pipe. */
  cut: boolean;
}

describe("property: ROUTER delivery equals a model routing table", () => {
  it("routes by id, prefixes received messages with the sender's id, drops what has no route", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 40, size: "max" }), fc.boolean(), async (ops, handover) => {
        const addr = uniqueInproc("prop-rt");
        const router = new Router({ handover, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
        const peers: Peer[] = [];
        const owner = new Map<string, Peer>();
        let n = 0;
        try {
          await router.bind(addr);
          const live = () => peers.filter((p) => p.alive);
          const pick = (k: number) => {
            const l = live();
            return l.length === 0 ? undefined : l[k % l.length];
          };
          const quiet = async () => {
            expect(await drain(router)).toEqual([]);
            for (const p of live()) expect(await drain(p.sock)).toEqual([]);
          };
          for (const o of ops) {
            if (o.kind === "connect") {
              const opts = { receiveHighWaterMark: 0, sendTimeout: 0 };
              const sock = new Dealer(o.id === null ? opts : { ...opts, routingId: o.id });
              const peer: Peer = { sock, id: o.id ?? undefined, alive: true, refused: false, cut: false };
              peers.push(peer);
              sock.connect(addr);
              if (o.id !== null) {
                const old = owner.get(o.id);
                if (old !== undefined && !handover) peer.refused = true;
                else {
                  if (old !== undefined) old.cut = true;
                  owner.set(o.id, peer);
                }
              }
              await settled();
            } else if (o.kind === "close") {
              const p = pick(o.who);
              if (p === undefined) continue;
              p.sock.close();
              p.alive = false;
              if (p.id !== undefined && owner.get(p.id) === p) owner.delete(p.id);
              await settled();
            } else if (o.kind === "toPeer") {
              const p = pick(o.who);
              if (p === undefined || p.id === undefined || p.refused || p.cut) continue;
              const body = String(n++);
              await router.send([Buffer.from(p.id, "latin1"), body]);
              expect((await drain(p.sock)).map(str)).toEqual([[body]]);
            } else if (o.kind === "toId") {
              const body = String(n++);
              await router.send([o.id, body]);
              const target = owner.get(o.id);
              if (target !== undefined) expect((await drain(target.sock)).map(str)).toEqual([[body]]);
            } else {
              const p = pick(o.who);
              if (p === undefined) continue;
              const body = String(n++);
              const sent = await p.sock.send(body).then(() => true, (e: { code?: string }) => e.code);
              // a cut-off peer has no pipe left: its send cannot go (EAGAIN)
              expect(sent).toBe(p.cut ? "EAGAIN" : true);
              const got = await drain(router);
              if (p.refused || p.cut) {
                expect(got).toEqual([]);
              } else {
                expect(got.length).toBe(1);
                const [id, b] = got[0]!;
                expect(b!.toString()).toBe(body);
                if (p.id === undefined) {
                  // a generated id: 5 bytes, 0x00 first; learn it
                  expect(id!.length).toBe(5);
                  expect(id![0]).toBe(0);
                  p.id = id!.toString("latin1");
                  owner.set(p.id, p);
                } else {
                  expect(id!.toString("latin1")).toBe(p.id);
                }
              }
            }
            await quiet();
          }
        } finally {
          closeAll(router, ...peers.map((p) => p.sock));
        }
      }),
      { numRuns: 100 },
    );
  }, 30_000);
});
