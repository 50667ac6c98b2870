// RFC 29 (PUBSUB): XPUB and XSUB. Subscriptions reach the XPUB application as
// `\x01topic` (subscribe) and `\x00topic` (unsubscribe) messages.
import { describe, expect, it } from "vitest";
import { Publisher, Subscriber, XPublisher, XSubscriber } from "../../index.js";
import { T, collect, drain, str, transports, useSockets } from "../helpers.js";

const sub = (topic: string) => "\u0001" + topic;
const unsub = (topic: string) => "\u0000" + topic;

for (const t of transports) {
  describe(`XPUB/XSUB over ${t.name}`, () => {
    const s = useSockets();

    async function xpubWith<S extends Subscriber | XSubscriber>(make: () => S, n: number, opts = {}) {
      const xpub = s(new XPublisher(opts));
      const addr = await t.bind(xpub);
      const peers = Array.from({ length: n }, () => s(make()));
      for (const p of peers) p.connect(addr);
      await t.connected(xpub, n);
      return { xpub, peers, addr };
    }

    it("XPUB SHALL deliver new subscriptions and the last unsubscription to the application", async () => {
      const { xpub, peers: [a, b] } = await xpubWith(() => new Subscriber(), 2);
      a!.subscribe("t");
      b!.subscribe("t");
      b!.subscribe("u");
      // both peers' subscriptions are in before any unsubscription leaves
      // (over a network, two connections' messages may arrive in any order)
      await t.subscribed(xpub, a!, b!);
      expect((await collect(xpub, 2)).map(str)).toEqual([[sub("t")], [sub("u")]]);
      a!.unsubscribe("t");
      b!.unsubscribe("t");
      expect((await collect(xpub, 1)).map(str)).toEqual([[unsub("t")]]);
      expect(await drain(xpub, t.quietMs)).toEqual([]);
    }, T);

    it("XPUB reports an unsubscribe when the last subscriber of a topic goes away", async () => {
      const { xpub, peers: [a, b] } = await xpubWith(() => new Subscriber(), 2);
      a!.subscribe("t");
      b!.subscribe("t");
      await t.subscribed(xpub, a!, b!);
      expect(str(await xpub.receive())).toEqual([sub("t")]);
      a!.close();
      await t.disconnected(xpub, 1);
      expect(await drain(xpub, t.quietMs)).toEqual([]);
      b!.close();
      expect(str(await xpub.receive())).toEqual([unsub("t")]);
    }, T);

    it("verbosity allSubs (XPUB_VERBOSE) delivers every subscription, but only the last unsubscription", async () => {
      const { xpub, peers: [a, b] } = await xpubWith(() => new Subscriber(), 2, { verbosity: "allSubs" });
      a!.subscribe("t");
      b!.subscribe("t");
      expect((await collect(xpub, 2)).map(str)).toEqual([[sub("t")], [sub("t")]]);
      a!.unsubscribe("t");
      b!.unsubscribe("t");
      expect((await collect(xpub, 1)).map(str)).toEqual([[unsub("t")]]);
      expect(await drain(xpub, t.quietMs)).toEqual([]);
    }, T);

    it("verbosity allSubsUnsubs (XPUB_VERBOSER) delivers every subscription and unsubscription", async () => {
      const { xpub, peers: [a, b] } = await xpubWith(() => new Subscriber(), 2, { verbosity: "allSubsUnsubs" });
      a!.subscribe("t");
      b!.subscribe("t");
      expect((await collect(xpub, 2)).map(str)).toEqual([[sub("t")], [sub("t")]]);
      a!.unsubscribe("t");
      b!.unsubscribe("t");
      expect((await collect(xpub, 2)).map(str)).toEqual([[unsub("t")], [unsub("t")]]);
    }, T);

    it("allSubsUnsubs: each subscriber that goes away reports its topics, even if others still have them", async () => {
      const { xpub, peers: [a, b] } = await xpubWith(() => new Subscriber(), 2, { verbosity: "allSubsUnsubs" });
      a!.subscribe("t");
      b!.subscribe("t");
      await collect(xpub, 2);
      a!.close();
      expect(str(await xpub.receive())).toEqual([unsub("t")]);
      b!.close();
      expect(str(await xpub.receive())).toEqual([unsub("t")]);
    }, T);

    it("XSUB SHALL send subscriptions upstream as messages, and receives only what matches (no local filter needed)", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1);
      await x!.send(sub("a"));
      expect(str(await xpub.receive())).toEqual([sub("a")]);
      for (const m of ["a1", "b1", "a2"]) await xpub.send(m);
      expect((await collect(x!, 2)).map(str)).toEqual([["a1"], ["a2"]]);
      await x!.send(unsub("a"));
      expect(str(await xpub.receive())).toEqual([unsub("a")]);
    }, T);

    it("XSUB forwards an unsubscription only when its last subscription to the topic goes", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1, { verbosity: "allSubsUnsubs" });
      await x!.send(sub("a"));
      await x!.send(sub("a"));
      await x!.send(unsub("a"));
      await x!.send(unsub("never subscribed"));
      expect((await collect(xpub, 2)).map(str)).toEqual([[sub("a")], [sub("a")]]);
      expect(await drain(xpub, t.quietMs)).toEqual([]);
      await x!.send(unsub("a"));
      expect(str(await xpub.receive())).toEqual([unsub("a")]);
    }, T);

    it("XSUB sends other messages upstream to the XPUB application (libzmq 4.3)", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1);
      await x!.send(["hello", "upstream"]);
      expect(str(await xpub.receive())).toEqual(["hello", "upstream"]);
    }, T);

    it("XSUB re-sends its subscriptions to a publisher it connects to later", async () => {
      const x = s(new XSubscriber());
      await x.send(sub("early"));
      const xpub = s(new XPublisher());
      const addr = await t.bind(xpub);
      x.connect(addr);
      expect(str(await xpub.receive())).toEqual([sub("early")]);
    }, T);

    it("welcomeMessage is sent to each new subscriber", async () => {
      const xpub = s(new XPublisher({ welcomeMessage: "W:hello" }));
      const addr = await t.bind(xpub);
      const a = s(new Subscriber());
      a.subscribe("W");
      a.connect(addr);
      expect(str(await a.receive())).toEqual(["W:hello"]);
      const b = s(new Subscriber());
      b.subscribe("W");
      b.connect(addr);
      expect(str(await b.receive())).toEqual(["W:hello"]);
      expect(xpub.welcomeMessage?.toString()).toBe("W:hello");
    }, T);

    it("manual: subscriptions reach the application but apply only through xpub.subscribe()", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1, { manual: true });
      await x!.send(sub("A"));
      expect(str(await xpub.receive())).toEqual([sub("A")]);
      await xpub.send("A: not applied");
      xpub.subscribe("B");
      await xpub.send("A: still not");
      await xpub.send("B: applied");
      expect((await collect(x!, 1)).map(str)).toEqual([["B: applied"]]);
      xpub.unsubscribe("B");
      await xpub.send("B: gone");
      expect(await drain(x!, t.quietMs)).toEqual([]);
    }, T);

    it("manual: xpub.subscribe() applies to the peer whose subscription the application received last", async () => {
      const { xpub, peers: [x1, x2] } = await xpubWith(() => new XSubscriber(), 2, { manual: true });
      await x1!.send(sub("one"));
      await t.subscribed(xpub, x1!); // x1's arrives first, whatever the transport
      await x2!.send(sub("two"));
      await t.subscribed(xpub, x2!);
      expect(str(await xpub.receive())).toEqual([sub("one")]);
      // x2's subscription has arrived but is not received yet: x1 is the last pipe
      xpub.subscribe("m");
      await xpub.send("m1");
      expect(str(await x1!.receive())).toEqual(["m1"]);
      expect(await drain(x2!, t.quietMs)).toEqual([]);
      expect(str(await xpub.receive())).toEqual([sub("two")]);
      xpub.subscribe("m");
      await xpub.send("m2");
      expect(str(await x2!.receive())).toEqual(["m2"]);
      expect(str(await x1!.receive())).toEqual(["m2"]);
    }, T);

    it("manual: a departing peer's requested topics come back as unsubscriptions", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1, { manual: true });
      await x!.send(sub("k"));
      expect(str(await xpub.receive())).toEqual([sub("k")]);
      xpub.subscribe("k");
      x!.close();
      expect(str(await xpub.receive())).toEqual([unsub("k")]);
    }, T);

    it("XPublisher.subscribe() without manual is refused (EINVAL, as libzmq's ZMQ_SUBSCRIBE on XPUB)", () => {
      const xpub = s(new XPublisher());
      expect(() => xpub.subscribe("a")).toThrow(expect.objectContaining({ code: "EINVAL" }));
      expect(() => xpub.unsubscribe("a")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }, T);

    it("invertMatching on XPUB sends to peers whose subscriptions do not match", async () => {
      const { xpub, peers: [x] } = await xpubWith(() => new XSubscriber(), 1, { invertMatching: true });
      await x!.send(sub("a"));
      await xpub.receive();
      for (const m of ["a1", "b1"]) await xpub.send(m);
      expect((await collect(x!, 1)).map(str)).toEqual([["b1"]]);
    }, T);

    it("PUB hands no subscriptions to the application but applies them", async () => {
      const pub = s(new Publisher());
      const addr = await t.bind(pub);
      const x = s(new XSubscriber());
      x.connect(addr);
      await x.send(sub("p"));
      await t.subscribed(pub, x);
      await pub.send("q");
      await pub.send("p!");
      expect(str(await x.receive())).toEqual(["p!"]);
    }, T);
  });
}
