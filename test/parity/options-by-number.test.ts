// zeromq.js parity (#12 item 4): options by libzmq number reach the same
// state as the named properties, with zeromq.js's checks and warnings.
import { describe, expect, test } from "vitest";
import { type Lib, same } from "./harness.js";

const T = 10_000;
/** zeromq.js 6.8's defineOpt() table: id → accessor type, for the options omq has. */
const TYPES: Record<number, "Bool" | "Int32" | "Uint32" | "Int64" | "Uint64" | "String"> = {
  5: "String", 8: "Int32", 9: "Int32", 16: "Int32", 17: "Int32", 18: "Int32", 19: "Int32", 21: "Int32", 22: "Int64",
  23: "Int32", 24: "Int32", 25: "Int32", 27: "Int32", 28: "Int32", 32: "String", 33: "Bool", 34: "Int32", 35: "Int32",
  36: "Int32", 37: "Int32", 39: "Bool", 42: "Bool", 44: "Bool", 45: "String", 46: "String", 47: "Bool",
  55: "String", 66: "Int32", 74: "Bool", 75: "Int32", 76: "Int32", 77: "Int32", 79: "Int32", 84: "Int32", 93: "Bool",
};
type Any = Record<string, (...a: unknown[]) => unknown> & { close(): void };
const make = (lib: Lib, cls: string) => new (lib as unknown as Record<string, new () => Any>)[cls]!();

describe.each(["Dealer", "Router", "Publisher", "Subscriber"])("%s", (cls) => {
  test.each(Object.entries(TYPES).map(([id, t]) => [Number(id), t] as const))("option %i read with get%sOption: the same default", async (id, type) => {
    await same((lib, track) => JSON.stringify(track(make(lib, cls))[`get${type}Option`]!(id)));
  }, T);
});

describe("set then get, through numbers and names", () => {
  test.each([
    [17, "Int32", 250, "linger"], [28, "Int32", 1234, "sendTimeout"], [22, "Int64", 1 << 20, "maxMessageSize"],
    [39, "Bool", true, "immediate"], [5, "String", "peer-7", "routingId"], [55, "String", "domain", "zapDomain"],
  ] as const)("option %i (get/set%sOption) = %j is the named %s", async (id, type, value, name) => {
    const z = await same((lib, track) => {
      const s = track(make(lib, "Dealer")) as unknown as Record<string, unknown> & Any;
      s[`set${type}Option`]!(id, value);
      return JSON.stringify([s[name], s[`get${type}Option`]!(id)]);
    });
    expect(z.value).toBe(JSON.stringify([value, value]));
  }, T);

  type Run = (s: Any) => unknown;
  test.each<[string, Run]>([
    ["an unknown id", (s: Any) => s.getInt32Option!(9999)],
    ["an id that is not a number", (s: Any) => s.getInt32Option!("x")],
    ["no id", (s: Any) => s.getInt32Option!()],
    ["a string for an Int32 option", (s: Any) => s.setInt32Option!(17, "x")],
    ["a number for a Bool option", (s: Any) => s.setBoolOption!(39, 1)],
    ["a number for a String option", (s: Any) => s.setStringOption!(5, 5)],
    ["writing ZMQ_TYPE", (s: Any) => s.setInt32Option!(16, 3)],
    ["a negative Uint32", (s: Any) => s.setUint32Option!(57, -1)],
  ])("%s: the same error", async (_what, run) => {
    const z = await same((lib, track) => run(track(make(lib, "Dealer"))));
    expect(z.error).toBeDefined();
  }, T);
});

test("setting an option that waits for the next connection warns once connected or binding, as zeromq.js", async () => {
  const z = await same(async (lib, track) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const s = track(make(lib, "Dealer")) as unknown as Record<string, unknown> & { bind(a: string): Promise<void> };
      s.rate = 3; // not connected: no warning
      const b = s.bind("tcp://127.0.0.1:*");
      s.rate = 4; // a bind in flight: warning
      s.linger = 4; // applies at once: none
      await b;
      s.routingId = "x"; // bound: warning
      s.sendHighWaterMark = 5; // applies at once: none
      await new Promise((r) => setTimeout(r, 20));
      return JSON.stringify(warnings);
    } finally {
      process.off("warning", onWarning);
    }
  });
  expect(JSON.parse(z.value!)).toEqual(["Socket option will not take effect until next connect/bind.", "Socket option will not take effect until next connect/bind."]);
}, T);
