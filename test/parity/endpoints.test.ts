// zeromq.js parity (#12 item 1): address errors from bind, connect, unbind and
// disconnect are checked before anything is looked up.
import { describe, expect, test } from "vitest";
import { same } from "./harness.js";

const T = 10_000;
const methods = ["bind", "connect", "unbind", "disconnect"] as const;
const addresses = [
  ["no transport://", "127.0.0.1:5555", "EINVAL"],
  ["an unknown transport", "foo://x", "EPROTONOSUPPORT"],
] as const;

describe.each(methods)("%s", (method) => {
  test.each(addresses)("of %s (%s)", async (_what, address, code) => {
    const z = await same(async (lib, track) => {
      const s = track(new lib.Push());
      return (s as unknown as Record<string, (a: string) => unknown>)[method]!(address);
    });
    expect(z.error?.code).toBe(code);
  }, T);
});

// libzmq looks the rest of the address up without parsing it: ENOENT even when malformed
test.each([
  ["unbind", "tcp://127.0.0.1:5555"], ["disconnect", "tcp://127.0.0.1:5555"],
  ["unbind", "tcp://127.0.0.1"], ["disconnect", "tcp://127.0.0.1"],
] as const)("%s of %s, not in use: ENOENT", async (method, address) => {
  const z = await same(async (lib, track) => {
    const s = track(new lib.Push());
    return (s as unknown as Record<string, (a: string) => unknown>)[method]!(address);
  });
  expect(z.error?.code).toBe("ENOENT");
}, T);

test.each(["bind", "connect"] as const)("%s of a malformed tcp address: EINVAL", async (method) => {
  const z = await same(async (lib, track) => {
    const s = track(new lib.Push());
    return (s as unknown as Record<string, (a: string) => unknown>)[method]!("tcp://127.0.0.1");
  });
  expect(z.error?.code).toBe("EINVAL");
}, T);
