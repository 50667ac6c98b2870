// zeromq.js parity (#12 items 2 and 3): constructor and option argument
// checks give zeromq.js's error class and leading text.
import { describe, expect, test } from "vitest";
import { type Lib, same } from "./harness.js";

const T = 10_000;
type Any = Record<string, unknown>;
const ctor = (lib: Lib, name: string) => (lib as unknown as Record<string, new (...a: unknown[]) => { close(): void }>)[name]!;

describe("new Socket(type, options)", () => {
  test.each([
    ["no arguments", []],
    ["a type that is not a number", ["x"]],
    ["options that are not an object", [1, "x"]],
    ["options null", [8, null]],
    ["three arguments", [8, {}, 3]],
    ["an unknown type number", [99]],
  ] as const)("%s", async (_what, args) => {
    const z = await same((lib, track) => {
      const s = track(new (ctor(lib, "Socket"))(...args));
      return typeof (s as unknown as Any).type;
    });
    expect(z.error).toBeDefined();
  }, T);

  test("a draft type number (RADIO 14): zeromq.js's build has drafts, omq refuses them with EINVAL (README)", async () => {
    const omq = await import("../../index.js");
    expect(() => new omq.Socket(14 as never)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  }, T);

  test.each([[0], [1], [5], [8], [10]] as const)("type %i makes a socket with that type", async (n) => {
    const z = await same((lib, track) => {
      const s = track(new (ctor(lib, "Socket"))(n));
      return (s as unknown as Any).type;
    });
    expect(z.value).toBe(String(n));
  }, T);

  test("a typed class with options that are not an object", async () => {
    const z = await same((lib, track) => track(new (ctor(lib, "Push"))(1)));
    expect(z.error?.type).toBe("TypeError");
  }, T);
});

describe("options", () => {
  test.each([
    ["linger", "x", "Push"], ["immediate", 1, "Push"], ["routingId", 5, "Dealer"], ["plainUsername", 5, "Push"],
    ["zapDomain", 5, "Push"], ["curveServerKey", 5, "Push"], ["welcomeMessage", 5, "XPublisher"],
  ] as const)("%s = %j is a TypeError", async (name, value, cls) => {
    const z = await same((lib, track) => {
      const s = track(new (ctor(lib, cls))()) as unknown as Any;
      s[name] = value;
    });
    expect(z.error?.type).toBe("TypeError");
  }, T);

  test.each([["an unknown option", { nope: 1 }], ["a wrong type", { linger: "x" }]] as const)("constructor with %s", async (_what, opts) => {
    const z = await same((lib, track) => track(new (ctor(lib, "Push"))(opts)));
    expect(z.error?.type).toBe("TypeError");
  }, T);

  test.each([["maxSockets", "x"], ["blocky", 1]] as const)("context %s = %j", async (name, value) => {
    const z = await same((lib) => {
      const c = new lib.Context() as unknown as Any;
      c[name] = value;
    });
    expect(z.error?.type).toBe("TypeError");
  }, T);

  test("new Context({ unknown })", async () => {
    const z = await same((lib) => new lib.Context({ nope: 1 } as never));
    expect(z.error?.type).toBe("TypeError");
  }, T);
});
