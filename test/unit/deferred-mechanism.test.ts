// DeferredMechanism: CURVE answers the greeting while libsodium still loads;
// the peer's first commands wait and reach the real mechanism in order.
import { describe, expect, test } from "vitest";
import { DeferredMechanism } from "../../lib/zmtp/mechanisms/deferred.js";
import type { Command, Mechanism } from "../../lib/zmtp/mechanisms/mechanism.js";

/** A mechanism that records what it is given and answers each command with "ACK-<name>". */
function recorder(log: string[]): Mechanism {
  let done = false;
  return {
    name: "CURVE",
    asServer: true,
    get done() {
      return done;
    },
    peer: undefined,
    start: (): Command[] => {
      log.push("start");
      return [{ name: "HI", data: Buffer.alloc(0) }];
    },
    onCommand: (name: string, data: Buffer): Command[] => {
      log.push(`${name}:${data.toString()}`);
      if (name === "LAST") done = true;
      return [{ name: `ACK-${name}`, data: Buffer.alloc(0) }];
    },
  };
}

function deferred(): { promise: Promise<() => Mechanism>; resolve: (m: () => Mechanism) => void; reject: (e: unknown) => void } {
  let resolve!: (m: () => Mechanism) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<() => Mechanism>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe("DeferredMechanism", () => {
  test("commands before the load are kept (copied) and handed over in order, after start", async () => {
    const log: string[] = [];
    const d = deferred();
    const m = new DeferredMechanism("CURVE", true, d.promise);
    let woken = 0;
    m.setWake(() => woken++);
    expect(m.name).toBe("CURVE");
    expect(m.asServer).toBe(true);
    expect(m.start()).toEqual([]);
    const chunk = Buffer.from("hello");
    expect(m.onCommand("HELLO", chunk)).toEqual([]);
    chunk.fill(0); // the engine's read buffer is reused: the kept copy must not change
    expect(m.done).toBe(false);
    d.resolve(() => recorder(log));
    await Promise.resolve();
    await Promise.resolve();
    expect(woken).toBe(1);
    expect(m.poll().map((c) => c.name)).toEqual(["HI", "ACK-HELLO"]);
    expect(log).toEqual(["start", "HELLO:hello"]);
    // afterwards, straight through
    expect(m.onCommand("LAST", Buffer.from("x")).map((c) => c.name)).toEqual(["ACK-LAST"]);
    expect(m.done).toBe(true);
  });

  test("a load that fails fails the handshake at the next poll", async () => {
    const d = deferred();
    const m = new DeferredMechanism("CURVE", false, d.promise);
    let woken = 0;
    m.setWake(() => woken++);
    m.start();
    d.reject(new Error("no WebAssembly here"));
    await new Promise((r) => setTimeout(r, 0));
    expect(woken).toBe(1);
    expect(() => m.poll()).toThrow("no WebAssembly here");
  });

  test("a peer may not pile up commands while we load: the fifth is a protocol error", () => {
    const m = new DeferredMechanism("CURVE", true, new Promise(() => {}));
    m.start();
    for (let i = 0; i < 4; i++) m.onCommand("X", Buffer.alloc(1));
    expect(() => m.onCommand("X", Buffer.alloc(1))).toThrow(expect.objectContaining({ zmtpCode: "ERR_ZMTP_UNEXPECTED_COMMAND" }));
  });
});
