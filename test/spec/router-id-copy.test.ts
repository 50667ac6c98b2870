// The routing id a ROUTER hands the application is the application's to keep
// and change (libzmq copies it into the message): changing it must not change
// how the ROUTER routes, nor what it reports for the peer's next message.
import { describe, expect, it } from "vitest";
import { Dealer, Router } from "../../index.js";
import { T, drain, rejectionCode, str, transports, useSockets } from "../helpers.js";

for (const t of transports) {
  describe(`ROUTER routing ids over ${t.name}`, () => {
    const s = useSockets();

    it("overwriting a received routing id changes neither routing nor the next message's id", async () => {
      const router = s(new Router({ mandatory: true }));
      const addr = await t.bind(router);
      const dealer = s(new Dealer({ routingId: "peer1" }));
      dealer.connect(addr);
      await dealer.send("a");
      const [id] = await router.receive();
      expect(id!.toString()).toBe("peer1");
      id!.fill("X");
      // a fresh buffer holding the original id still reaches the peer
      await router.send([Buffer.from("peer1"), "reply"]);
      expect(str(await dealer.receive())).toEqual(["reply"]);
      // the overwritten bytes name no peer
      expect(await rejectionCode(router.send([id!, "lost"]))).toBe("EHOSTUNREACH");
      // the peer's next message still carries its own id
      await dealer.send("b");
      expect(str(await router.receive())).toEqual(["peer1", "b"]);
      expect(await drain(dealer, t.quietMs)).toEqual([]);
    }, T);

    it("after overwriting a received id, a peer that comes back with that id is routed to again", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const first = s(new Dealer({ routingId: "peer1" }));
      first.connect(addr);
      await first.send("a");
      (await router.receive())[0]!.fill(0);
      first.close();
      await t.disconnected(router, 1);
      // a duplicate id would be refused (no handover): the old entry must be gone
      const again = s(new Dealer({ routingId: "peer1", receiveTimeout: 2000 }));
      again.connect(addr);
      await again.send("b");
      router.receiveTimeout = 2000;
      const got = await router.receive().catch((e: { code?: string }) => {
        throw new Error(`the returning peer's message never reached the ROUTER (${e.code}): its id is still taken`);
      });
      expect(str(got)).toEqual(["peer1", "b"]);
      await router.send(["peer1", "welcome back"]);
      expect(str(await again.receive())).toEqual(["welcome back"]);
    }, T);

    it("a generated id can be overwritten too", async () => {
      const router = s(new Router());
      const addr = await t.bind(router);
      const dealer = s(new Dealer());
      dealer.connect(addr);
      await dealer.send("a");
      const [id] = await router.receive();
      const original = Buffer.from(id!);
      id!.fill(0xff);
      await dealer.send("b");
      const [id2, body] = await router.receive();
      expect(id2!.equals(original)).toBe(true);
      expect(body!.toString()).toBe("b");
      await router.send([original, "to you"]);
      expect(str(await dealer.receive())).toEqual(["to you"]);
    }, T);
  });
}
