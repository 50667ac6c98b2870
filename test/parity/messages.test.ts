// zeromq.js parity (#12 item 10): what send() makes of each kind of value.
import { describe, expect, test } from "vitest";
import { same } from "./harness.js";

const T = 10_000;
let n = 0;

/** Send `value` from one PAIR to another over inproc and report what arrived. */
function roundTrip(value: unknown) {
  return same(async (lib, track) => {
    const a = track(new lib.Pair({ receiveTimeout: 1000 } as never));
    const b = track(new lib.Pair());
    await a.bind(`inproc://parity-msg-${process.pid}-${++n}`);
    b.connect(a.lastEndpoint!);
    await b.send(value as never);
    return JSON.stringify((await a.receive()).map((f) => f.toString()));
  });
}

describe("send() coerces values as zeromq.js does", () => {
  test.each([
    ["a string", "text"], ["a number", 42], ["null", null], ["true", true], ["false", false], ["an object", { a: 1 }],
    ["a bigint", 10n], ["a function", function f() {}], ["a Date", new Date(0)], ["a nested array", [["a", "b"]]],
    ["undefined inside an array", [undefined, "x"]], ["a Uint8Array", new Uint8Array([104, 105])], ["an ArrayBuffer", new Uint8Array([104]).buffer],
  ] as const)("%s", async (_what, value) => {
    const z = await roundTrip(value);
    expect(z.error).toBeUndefined();
  }, T);

  test.each([["undefined", undefined], ["a Symbol", Symbol("s")], ["a Symbol inside an array", [Symbol("s")]]] as const)("%s is a TypeError", async (_what, value) => {
    const z = await roundTrip(value);
    expect(z.error?.type).toBe("TypeError");
  }, T);
});
