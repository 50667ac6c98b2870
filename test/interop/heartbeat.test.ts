// Heartbeats across implementations: libzmq PINGs omq and omq answers; omq
// PINGs libzmq and libzmq answers. Neither side drops a live peer.
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { Dealer, Router } from "../../index.js";
import { sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function roundTrip(dealer: { send(m: string): Promise<void>; receive(): Promise<Buffer[]> }, router: { receive(): Promise<Buffer[]>; send(m: Array<Buffer | string>): Promise<void> }, body: string) {
  await dealer.send(body);
  const [id, got] = await router.receive();
  expect(got!.toString()).toBe(body);
  await router.send([id!, `re:${body}`]);
  expect((await dealer.receive())[0]!.toString()).toBe(`re:${body}`);
}

type Lib = { Router: new (o: object) => any; Dealer: new (o: object) => any };
const omq: Lib = { Router, Dealer };
const libzmq: Lib = { Router: zmq.Router, Dealer: zmq.Dealer };

describe("heartbeats with libzmq", () => {
  for (const [name, routerLib, dealerLib] of [
    ["a libzmq DEALER with heartbeats stays connected to an omq ROUTER (omq answers PINGs)", omq, libzmq],
    ["an omq DEALER with heartbeats stays connected to a libzmq ROUTER (libzmq answers PINGs)", libzmq, omq],
  ] as const) {
    it(name, async () => {
      const router = new routerLib.Router({ linger: 0 });
      open.push(router);
      await router.bind("tcp://127.0.0.1:*");
      const dealer = new dealerLib.Dealer({ linger: 0, heartbeatInterval: 40, heartbeatTimeout: 120 });
      open.push(dealer);
      const dropped: string[] = [];
      dealer.events.on("disconnect", (e: { type: string }) => dropped.push(e.type));
      dealer.connect(router.lastEndpoint!);
      await roundTrip(dealer, router, "first");
      await sleep(600);
      expect(dropped).toEqual([]);
      await roundTrip(dealer, router, "after 15 heartbeats");
    });
  }
});
