// zeromq.js parity (#12 items 1, 6, 7): what a mandatory ROUTER, an Observer
// of a closed socket and a Proxy outside run() report.
import { describe, expect, test } from "vitest";
import { same } from "./harness.js";

const T = 10_000;
let n = 0;
const inproc = () => `inproc://parity-b-${process.pid}-${++n}`;

describe("ROUTER with mandatory", () => {
  test("a send to an unknown id with no peer at all waits, then rejects EHOSTUNREACH at sendTimeout", async () => {
    const z = await same(async (lib, track) => {
      const r = track(new lib.Router({ mandatory: true, sendTimeout: 100 }));
      await r.send(["nobody", "x"]);
    });
    expect(z.error?.code).toBe("EHOSTUNREACH");
  }, T);

  test("with a peer connected, an unknown id rejects EHOSTUNREACH at once", async () => {
    const z = await same(async (lib, track) => {
      const r = track(new lib.Router({ mandatory: true }));
      await r.bind(inproc());
      const d = track(new lib.Dealer({ routingId: "d" }));
      d.connect(r.lastEndpoint!);
      await d.send("hi");
      await r.receive();
      await r.send(["nobody", "x"]);
    });
    expect(z.error?.code).toBe("EHOSTUNREACH");
  }, T);
});

describe("Observer", () => {
  test("receive() after the socket closed and its events were read: EBADF", async () => {
    const z = await same(async (lib) => {
      const s = new lib.Push();
      const o = s.events;
      s.close();
      const types: string[] = [];
      for (let i = 0; i < 5; i++) types.push((await o.receive()).type);
      return types.join(",");
    });
    expect(z.error?.code).toBe("EBADF");
  }, T);
});

describe("Proxy", () => {
  const make = async (lib: Parameters<Parameters<typeof same>[0]>[0], track: <S extends { close(): void }>(s: S) => S) => {
    const f = track(new lib.Router());
    const b = track(new lib.Dealer());
    await f.bind(inproc());
    await b.bind(inproc());
    return new lib.Proxy(f, b);
  };

  test("terminate() before run(): EBADF", async () => {
    const z = await same(async (lib, track) => (await make(lib, track)).terminate());
    expect(z.error?.code).toBe("EBADF");
  }, T);

  test("terminate() twice while running: the second is EBADF; run() resolves", async () => {
    const z = await same(async (lib, track) => {
      const p = await make(lib, track);
      const run = p.run();
      await new Promise((r) => setTimeout(r, 50));
      p.terminate();
      await run;
      p.terminate();
    });
    expect(z.error?.code).toBe("EBADF");
  }, T);

  test("run() with a front-end neither bound nor connected: EINVAL", async () => {
    const z = await same(async (lib, track) => new lib.Proxy(track(new lib.Router()), track(new lib.Dealer())).run());
    expect(z.error?.code).toBe("EINVAL");
  }, T);

  test("run() with only the front-end bound: EINVAL naming the back-end", async () => {
    const z = await same(async (lib, track) => {
      const f = track(new lib.Router());
      await f.bind(inproc());
      return new lib.Proxy(f, track(new lib.Dealer())).run();
    });
    expect(z.error?.message).toMatch(/^Back-end/);
  }, T);
});

describe("close() while a bind is pending", () => {
  test("closed stays false until the bind settles; the bind resolves; then the socket is closed", async () => {
    const z = await same(async (lib) => {
      const s = new lib.Push();
      const b = s.bind("tcp://127.0.0.1:*");
      s.close();
      const during = s.closed;
      const r = await b.then(() => "bound", (e: { code?: string }) => e.code);
      return `${during} ${r} ${s.closed}`;
    });
    expect(z.value).toBe("false bound true");
  }, T);
});

describe("Observer of inproc sockets", () => {
  test("an inproc bind, connection and close report only `end`, with emitter-style listeners", async () => {
    const z = await same(async (lib) => {
      const addr = inproc();
      const pull = new lib.Pull();
      const push = new lib.Push();
      const seen: string[] = [];
      for (const t of ["bind", "accept", "connect", "handshake", "close", "disconnect", "end"] as const) {
        pull.events.on(t, () => seen.push(`pull:${t}`));
        push.events.on(t, () => seen.push(`push:${t}`));
      }
      await pull.bind(addr);
      push.connect(addr);
      await push.send("x");
      await pull.receive();
      push.close();
      pull.close();
      await new Promise((r) => setTimeout(r, 20));
      return seen.sort().join(",");
    });
    expect(z.value).toBe("pull:end,push:end");
  }, T);
});

describe("Observer at its edges", () => {
  test("an emitter-style Observer whose socket closed: receive() is ENOTSOCK", async () => {
    const z = await same(async (lib) => {
      const s = new lib.Dealer();
      s.events.on("end", () => {});
      s.close();
      await new Promise((r) => setTimeout(r, 20));
      return s.events.receive();
    });
    expect(z.error?.code).toBe("ENOTSOCK");
  }, T);

  test("a receive() waiting when the Observer is closed: ENOTSOCK", async () => {
    const z = await same(async (lib, track) => {
      const o = track(new lib.Dealer()).events;
      const p = o.receive();
      o.close();
      return p;
    });
    expect(z.error?.code).toBe("ENOTSOCK");
  }, T);

  test("receive() on an Observer closed by hand, its socket open: EBADF", async () => {
    const z = await same(async (lib, track) => {
      const o = track(new lib.Dealer()).events;
      o.close();
      return o.receive();
    });
    expect(z.error?.code).toBe("EBADF");
  }, T);

  test("deliberate: a receive() waiting when the socket closes gets its `end` (zeromq.js leaves it pending)", async () => {
    const { Dealer } = await import("../../index.js");
    const s = new Dealer();
    const p = s.events.receive();
    s.close();
    expect((await p).type).toBe("end");
    await expect(s.events.receive()).rejects.toMatchObject({ code: "EBADF" });
  }, T);
});
