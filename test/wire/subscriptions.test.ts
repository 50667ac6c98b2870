// Subscriptions on the wire (RFC 37 vs RFC 23): a SUB sends SUBSCRIBE/CANCEL
// commands to a peer announcing ZMTP 3.1 and `\x01topic`/`\x00topic` messages
// to a 3.0 peer; a PUB/XPUB accepts both forms from anyone.
import { type AddressInfo, type Server, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Subscriber, XPublisher } from "../../index.js";
import { RawPeer, command, frame, greeting, ready } from "../helpers.js";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

/** A raw publisher listening on loopback; resolves with the first connection. */
async function rawPublisher(minor: number): Promise<{ address: string; peer: Promise<RawPeer> }> {
  let server!: Server;
  const peer = new Promise<RawPeer>((resolve) => {
    server = createServer((s) => {
      const p = RawPeer.wrap(s);
      p.write(greeting({ minor }), ready("PUB"));
      cleanup.push(() => p.close());
      resolve(p);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => server.close());
  return { address: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`, peer };
}

describe("SUB towards raw publishers", () => {
  it("a ZMTP 3.0 peer receives subscriptions as \\x01topic / \\x00topic messages", async () => {
    const { address, peer } = await rawPublisher(0);
    const sub = new Subscriber({ linger: 0 });
    cleanup.push(() => sub.close());
    sub.subscribe("weather");
    sub.connect(address);
    const p = await peer;
    await p.until(() => p.messages().length >= 1, 5000, "subscription");
    sub.unsubscribe("weather");
    await p.until(() => p.messages().length >= 2, 5000, "cancel");
    expect(p.messages().map((m) => m.map((f) => f.toString("latin1")))).toEqual([["\x01weather"], ["\x00weather"]]);
    expect(p.commands().filter(([n]) => n === "SUBSCRIBE" || n === "CANCEL")).toEqual([]);
  });

  it("a ZMTP 3.1 peer receives SUBSCRIBE and CANCEL commands", async () => {
    const { address, peer } = await rawPublisher(1);
    const sub = new Subscriber({ linger: 0 });
    cleanup.push(() => sub.close());
    sub.subscribe("weather");
    sub.connect(address);
    const p = await peer;
    await p.until(() => p.commands().some(([n]) => n === "SUBSCRIBE"), 5000, "SUBSCRIBE");
    sub.unsubscribe("weather");
    await p.until(() => p.commands().some(([n]) => n === "CANCEL"), 5000, "CANCEL");
    const cmds = p.commands().filter(([n]) => n === "SUBSCRIBE" || n === "CANCEL");
    expect(cmds.map(([n, d]) => [n, d.toString()])).toEqual([
      ["SUBSCRIBE", "weather"],
      ["CANCEL", "weather"],
    ]);
    expect(p.messages()).toEqual([]);
  });

  it("the publisher's messages are filtered locally too", async () => {
    const { address, peer } = await rawPublisher(1);
    const sub = new Subscriber({ linger: 0, receiveTimeout: 2000 });
    cleanup.push(() => sub.close());
    sub.subscribe("a");
    sub.connect(address);
    const p = await peer;
    p.write(frame("b-not-for-you"), frame("a-yes"));
    const [m] = await sub.receive();
    expect(m!.toString()).toBe("a-yes");
  });
});

describe("XPUB from raw subscribers", () => {
  it("accepts both subscription forms and reports them as \\x01topic", async () => {
    const xpub = new XPublisher({ linger: 0, receiveTimeout: 3000 });
    cleanup.push(() => xpub.close());
    await xpub.bind("tcp://127.0.0.1:*");
    const old = await RawPeer.connect(xpub.lastEndpoint!);
    cleanup.push(() => old.close());
    old.write(greeting({ minor: 0 }), ready("SUB"), frame("\x01old-form"));
    const neu = await RawPeer.connect(xpub.lastEndpoint!);
    cleanup.push(() => neu.close());
    neu.write(greeting({ minor: 1 }), ready("SUB"), command("SUBSCRIBE", Buffer.from("new-form")));
    const got = new Set<string>();
    for (let i = 0; i < 2; i++) got.add((await xpub.receive())[0]!.toString("latin1"));
    expect(got).toEqual(new Set(["\x01old-form", "\x01new-form"]));
    await xpub.send("new-form: hello");
    await xpub.send("old-form: hello");
    await neu.until(() => neu.messages().length > 0, 5000, "delivery");
    await old.until(() => old.messages().length > 0, 5000, "delivery");
    expect(neu.messages()[0]![0]!.toString()).toBe("new-form: hello");
    expect(old.messages()[0]![0]!.toString()).toBe("old-form: hello");
  });
});
