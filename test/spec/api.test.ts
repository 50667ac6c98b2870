// The public API contract (API.md): bad input, closed sockets, options, the
// socket() factory, exports, events and socket-type compatibility. What
// involves a connection runs over every transport; the rest on inproc.
import { describe, expect, it } from "vitest";
import {
  Context, Dealer, Pair, Publisher, Pull, Push, Reply, Request, Router, Subscriber, XPublisher, XSubscriber,
  capability, context, socket, version,
} from "../../index.js";
import type { Event } from "../../index.js";
import { T, drain, rejectionCode, settled, str, transports, uniqueInproc, useSockets } from "../helpers.js";

const code = (c: string) => expect.objectContaining({ code: c });

describe("endpoints", () => {
  const s = useSockets();

  it("malformed endpoints: bind rejects and connect throws EINVAL; an unknown transport is EPROTONOSUPPORT", async () => {
    const pull = s(new Pull());
    for (const bad of ["tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:", "tcp://*:abc", "bogus", "inproc://", "ipc://", ""]) {
      expect(await rejectionCode(pull.bind(bad))).toBe("EINVAL");
      expect(() => pull.connect(bad)).toThrow(code("EINVAL"));
    }
    for (const unknown of ["foo://x", "udpx://1.2.3.4:5"]) {
      expect(await rejectionCode(pull.bind(unknown))).toBe("EPROTONOSUPPORT");
      expect(() => pull.connect(unknown)).toThrow(code("EPROTONOSUPPORT"));
    }
    expect(() => pull.connect(42 as unknown as string)).toThrow(TypeError);
  }, T);

  it("a second bind of an inproc name is EADDRINUSE (same or another socket); unbind frees it", async () => {
    const addr = uniqueInproc();
    const a = s(new Pull());
    const b = s(new Pull());
    await a.bind(addr);
    expect(a.lastEndpoint).toBe(addr);
    expect(await rejectionCode(a.bind(addr))).toBe("EADDRINUSE");
    expect(await rejectionCode(b.bind(addr))).toBe("EADDRINUSE");
    await a.unbind(addr);
    await b.bind(addr);
    expect(b.lastEndpoint).toBe(addr);
  }, T);

  it("unbind and disconnect of an unknown endpoint are ENOENT", async () => {
    const pull = s(new Pull());
    expect(await rejectionCode(pull.unbind(uniqueInproc()))).toBe("ENOENT");
    expect(() => pull.disconnect(uniqueInproc())).toThrow(code("ENOENT"));
  }, T);

  it("unbind of inproc keeps the connections already made (as libzmq), but refuses new ones", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    await pull.bind(addr);
    const push = s(new Push());
    push.connect(addr);
    await pull.unbind(addr);
    await push.send("still connected");
    expect(str(await pull.receive())).toEqual(["still connected"]);
    const late = s(new Push());
    late.connect(addr);
    await late.send("queued for a future binder");
    expect(await drain(pull)).toEqual([]);
  }, T);

  it("inproc names are scoped to a Context", async () => {
    const addr = uniqueInproc();
    const other = new Context();
    const a = s(new Pull());
    const b = s(new Pull({ context: other }));
    await a.bind(addr);
    await b.bind(addr); // no EADDRINUSE: another context
    const push = s(new Push({ context: other }));
    push.connect(addr);
    await push.send("to b");
    expect(str(await b.receive())).toEqual(["to b"]);
    expect(await drain(a)).toEqual([]);
    expect(b.context).toBe(other);
    expect(a.context).toBe(context);
  }, T);
});

for (const t of transports) {
  describe(`connections over ${t.name}`, () => {
    const s = useSockets();

    it("compatible pairs exchange messages either way round (DEALER-DEALER; XSUB binding, XPUB connecting)", async () => {
      const d1 = s(new Dealer());
      const addr = await t.bind(d1);
      const d2 = s(new Dealer());
      d2.connect(addr);
      await d2.send("dd");
      expect(str(await d1.receive())).toEqual(["dd"]);
      const xsub = s(new XSubscriber());
      const addr2 = await t.bind(xsub);
      const xpub = s(new XPublisher());
      xpub.connect(addr2);
      await xsub.send("\u0001");
      expect(str(await xpub.receive())).toEqual(["\u0001"]);
    }, T);

    it("an incompatible peer is refused and never exchanges messages (PUSH to an XPUB, SUB to a PUSH)", async () => {
      const xpub = s(new XPublisher());
      const addr1 = await t.bind(xpub);
      const push = s(new Push({ sendTimeout: 0 }));
      push.connect(addr1);
      // inproc refuses at connect (EAGAIN); a stream connect queues it for a handshake that fails
      await push.send("\u0001").catch(() => undefined);
      await t.refused(xpub, 1);
      expect(await drain(xpub, t.quietMs)).toEqual([]);

      const push2 = s(new Push({ sendTimeout: 0 }));
      const addr2 = await t.bind(push2);
      const sub = s(new Subscriber());
      sub.connect(addr2);
      sub.subscribe();
      await t.refused(push2, 1);
      expect(await rejectionCode(push2.send("x"))).toBe("EAGAIN");
      expect(await drain(sub, t.quietMs)).toEqual([]);
    }, T);

    it("`for await` yields messages until the socket closes", async () => {
      const pull = s(new Pull());
      const addr = await t.bind(pull);
      const push = s(new Push());
      push.connect(addr);
      const seen: string[] = [];
      const loop = (async () => {
        for await (const [m] of pull) {
          seen.push(m!.toString());
          if (seen.length === 2) pull.close();
        }
      })();
      for (const m of ["a", "b", "c"]) await push.send(m);
      await loop;
      expect(seen).toEqual(["a", "b"]);
    }, T);
  });
}

describe("socket-type compatibility on inproc", () => {
  const s = useSockets();

  // inproc checks the types at connect, so the PUSH never even gets a pipe
  it("an incompatible pair never exchanges messages (PUSH to a PUB-bound name, SUB to a PUSH-bound name)", async () => {
    const addr1 = uniqueInproc();
    const pub = s(new Publisher());
    await pub.bind(addr1);
    const push = s(new Push({ sendTimeout: 0 }));
    push.connect(addr1);
    expect(await rejectionCode(push.send("\u0001"))).toBe("EAGAIN");

    const addr2 = uniqueInproc();
    const push2 = s(new Push({ sendTimeout: 0 }));
    await push2.bind(addr2);
    const sub = s(new Subscriber());
    sub.connect(addr2);
    sub.subscribe();
    expect(await rejectionCode(push2.send("x"))).toBe("EAGAIN");
    expect(await drain(sub)).toEqual([]);
  }, T);

  it("an incompatible connect-before-bind is dropped when the binder appears", async () => {
    const addr = uniqueInproc();
    const req = s(new Request());
    req.connect(addr);
    await req.send("queued");
    const pull = s(new Pull());
    await pull.bind(addr);
    expect(await drain(pull)).toEqual([]);
  }, T);

});

describe("options", () => {
  const s = useSockets();

  it("have libzmq's defaults", () => {
    const push = s(new Push());
    expect(push.sendHighWaterMark).toBe(1000);
    expect(push.sendTimeout).toBe(-1);
    expect(push.linger).toBe(-1);
    expect(push.reconnectInterval).toBe(100);
    expect(push.reconnectMaxInterval).toBe(0);
    expect(push.maxMessageSize).toBe(-1);
    expect(push.handshakeInterval).toBe(30000);
    expect(push.backlog).toBe(100);
    expect(push.busyPoll).toBe(-1); // omq only: adaptive
    expect(push.multicastHops).toBe(1);
    const pull = s(new Pull());
    expect(pull.receiveHighWaterMark).toBe(1000);
    expect(pull.receiveTimeout).toBe(-1);
    expect(s(new XPublisher()).verbosity).toBeNull();
    expect(s(new Router()).mandatory).toBe(false);
  }, T);

  it("a value of the wrong type throws TypeError", () => {
    const push = s(new Push()) as unknown as Record<string, unknown>;
    expect(() => (push.sendHighWaterMark = "5")).toThrow(TypeError);
    expect(() => (push.sendTimeout = NaN)).toThrow(TypeError);
    expect(() => (push.immediate = 1)).toThrow(TypeError);
    expect(() => (push.conflate = "yes")).toThrow(TypeError);
    const xpub = s(new XPublisher()) as unknown as Record<string, unknown>;
    expect(() => (xpub.verbosity = "loud")).toThrow(TypeError);
    expect(() => (xpub.welcomeMessage = 5)).toThrow(TypeError);
    const dealer = s(new Dealer()) as unknown as Record<string, unknown>;
    expect(() => (dealer.routingId = 7)).toThrow(TypeError);
  }, T);

  it("an out-of-range value throws RangeError with code EINVAL", () => {
    const push = s(new Push());
    for (const f of [
      () => (push.sendHighWaterMark = -1),
      () => (push.sendHighWaterMark = 1.5),
      () => (push.sendTimeout = -2),
      () => (push.linger = -5),
      () => (push.sendHighWaterMark = 2 ** 31),
    ]) {
      expect(f).toThrow(RangeError);
      expect(f).toThrow(code("EINVAL"));
    }
    const dealer = s(new Dealer());
    for (const id of ["", "\u0000starts with zero", "x".repeat(256)]) {
      expect(() => (dealer.routingId = id)).toThrow(RangeError);
    }
    expect(push.sendHighWaterMark).toBe(1000);
  }, T);

  it("the constructor validates like the setters, and refuses unknown names or options of another type, naming them", () => {
    expect(() => new Push({ sendHighWaterMark: -1 })).toThrow(RangeError);
    expect(() => new Push({ sendHighWaterMark: "1" as unknown as number })).toThrow(TypeError);
    const bad: Array<[() => unknown, string]> = [
      [() => new Push({ bogusOption: 1 } as never), "bogusOption"],
      [() => new Pull({ sendHighWaterMark: 1 } as never), "sendHighWaterMark"],
      [() => new Push({ receiveTimeout: 1 } as never), "receiveTimeout"],
      [() => new Push({ routingId: "x" } as never), "routingId"],
      [() => new Subscriber({ noDrop: true } as never), "noDrop"],
      [() => new Publisher({ manual: true } as never), "manual"],
      [() => new Dealer({ mandatory: true } as never), "mandatory"],
    ];
    for (const [make, name] of bad) {
      expect(make).toThrow(TypeError);
      expect(make).toThrow(name);
    }
  }, T);

  it("constructor options are applied, and setters read back", () => {
    const d = s(new Dealer({ routingId: "me", sendHighWaterMark: 7, probeRouter: true, linger: 0 }));
    expect(d.routingId).toBe("me");
    expect(d.sendHighWaterMark).toBe(7);
    expect(d.probeRouter).toBe(true);
    expect(d.linger).toBe(0);
    d.receiveTimeout = 123;
    expect(d.receiveTimeout).toBe(123);
    const x = s(new XPublisher({ verbosity: "allSubsUnsubs" }));
    expect(x.verbosity).toBe("allSubsUnsubs");
    x.verbosity = null;
    expect(x.verbosity).toBeNull();
  }, T);

  it("context.blocky = false makes new sockets' linger 0 (an explicit linger still wins)", () => {
    const ctx = new Context();
    ctx.blocky = false;
    expect(s(new Push({ context: ctx })).linger).toBe(0);
    expect(s(new Push({ context: ctx, linger: 50 })).linger).toBe(50);
    const saved = context.blocky;
    try {
      context.blocky = false;
      expect(s(new Pull()).linger).toBe(0);
      context.blocky = true;
      expect(s(new Pull()).linger).toBe(-1);
    } finally {
      context.blocky = saved;
    }
  }, T);
});

describe("closed sockets", () => {
  const s = useSockets();

  it("methods throw EBADF synchronously, option writes throw ENOTSOCK, close() is idempotent", () => {
    const dealer = s(new Dealer());
    dealer.close();
    expect(dealer.closed).toBe(true);
    expect(() => dealer.bind(uniqueInproc())).toThrow(code("EBADF"));
    expect(() => dealer.unbind(uniqueInproc())).toThrow(code("EBADF"));
    expect(() => dealer.connect(uniqueInproc())).toThrow(code("EBADF"));
    expect(() => dealer.disconnect(uniqueInproc())).toThrow(code("EBADF"));
    expect(() => dealer.send("x")).toThrow(code("EBADF"));
    expect(() => dealer.receive()).toThrow(code("EBADF"));
    expect(() => (dealer.sendHighWaterMark = 5)).toThrow(code("ENOTSOCK"));
    expect(() => dealer.close()).not.toThrow();
    const sub = s(new Subscriber());
    sub.close();
    expect(() => sub.subscribe("a")).toThrow(code("EBADF"));
    expect(() => sub.unsubscribe("a")).toThrow(code("EBADF"));
    const xpub = s(new XPublisher({ manual: true }));
    xpub.close();
    expect(() => xpub.subscribe("a")).toThrow(code("EBADF"));
    expect(dealer.readable).toBe(false);
    expect(dealer.writable).toBe(false);
  }, T);

  it("pending send() and receive() reject with EAGAIN on close, and `for await` ends", async () => {
    const dealer = s(new Dealer());
    const sending = dealer.send("nobody");
    const receiving = dealer.receive();
    const pull = s(new Pull());
    const seen: Buffer[][] = [];
    const loop = (async () => {
      for await (const m of pull) seen.push(m);
      return "ended";
    })();
    await settled();
    dealer.close();
    pull.close();
    expect(await rejectionCode(sending)).toBe("EAGAIN");
    expect(await rejectionCode(receiving)).toBe("EAGAIN");
    expect(await loop).toBe("ended");
    expect(seen).toEqual([]);
  }, T);

});

describe("readable / writable", () => {
  const s = useSockets();

  // inproc: a message is readable the moment it is sent, and the HWM is exact

  it("reflect whether receive()/send() would complete at once", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    const push = s(new Push({ sendHighWaterMark: 1 }));
    expect(push.writable).toBe(false);
    await pull.bind(addr);
    push.connect(addr);
    expect(push.writable).toBe(true);
    expect(pull.readable).toBe(false);
    await push.send("a");
    expect(pull.readable).toBe(true);
    await push.send("b"); // 1 + 1000
    expect(pull.readable).toBe(true);
    await pull.receive();
    await pull.receive();
    expect(pull.readable).toBe(false);
  }, T);
});

describe("the socket() factory and module exports", () => {
  const s = useSockets();

  it("socket(type) is case-insensitive and returns the class; an unknown type is a TypeError naming it", () => {
    expect(s(socket("pub"))).toBeInstanceOf(Publisher);
    expect(s(socket("PUB" as "pub"))).toBeInstanceOf(Publisher);
    expect(s(socket("Dealer" as "dealer", { routingId: "x" })).routingId).toBe("x");
    expect(s(socket("xsub"))).toBeInstanceOf(XSubscriber);
    expect(() => socket("bogus" as "pub")).toThrow(TypeError);
    expect(() => socket("bogus" as "pub")).toThrow("bogus");
  }, T);

  it("socket.type is libzmq's number", () => {
    const types = [Pair, Publisher, Subscriber, Request, Reply, Dealer, Router, Pull, Push, XPublisher, XSubscriber];
    expect(types.map((C) => s(new C()).type)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  }, T);

  it("version is libzmq's 4.3.5 and capability.ipc is a boolean", () => {
    expect(version).toBe("4.3.5");
    expect(typeof capability.ipc).toBe("boolean");
    expect(capability.inproc).toBe(true);
  }, T);
});

describe("events on inproc", () => {
  const s = useSockets();

  async function eventsOf(sock: { events: AsyncIterable<Event> }): Promise<string[]> {
    const out: string[] = [];
    for await (const e of sock.events) out.push(e.type);
    return out;
  }

  it("inproc connections emit no connect/accept/handshake/disconnect events, only `end` on close", async () => {
    const addr = uniqueInproc();
    const pull = s(new Pull());
    const push = s(new Push());
    const pullEvents = eventsOf(pull);
    const pushEvents = eventsOf(push);
    await pull.bind(addr);
    push.connect(addr);
    await push.send("x");
    await pull.receive();
    push.disconnect(addr);
    push.close();
    pull.close();
    expect(await pushEvents).toEqual(["end"]);
    // nor bind/close for the inproc endpoint, as libzmq's monitor and zeromq.js
    expect(await pullEvents).toEqual(["end"]);
  }, T);
});
