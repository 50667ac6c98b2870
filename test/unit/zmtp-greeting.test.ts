import { describe, expect, it } from "vitest";
import { GreetingParser, encodeGreeting } from "../../lib/zmtp/greeting.js";
import { GREETING_SIZE } from "../../lib/zmtp/constants.js";

const T = 5000;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** A greeting with the given bytes patched in. */
function greeting(patch: Record<number, number> = {}, mechanism = "NULL", asServer = false): Buffer {
  const g = encodeGreeting(mechanism, asServer);
  for (const [k, v] of Object.entries(patch)) g[Number(k)] = v;
  return g;
}

describe("encodeGreeting", () => {
  it("writes libzmq's exact bytes for NULL 3.1", () => {
    const g = encodeGreeting("NULL", false);
    expect(g.length).toBe(64);
    const expected = Buffer.alloc(64);
    hex("ff 00 00 00 00 00 00 00 01 7f 03 01").copy(expected, 0);
    Buffer.from("NULL").copy(expected, 12);
    expect(g.equals(expected)).toBe(true);
  }, T);

  it("sets minor, mechanism padding and as-server", () => {
    const g = encodeGreeting("PLAIN", true, 0);
    expect(g[11]).toBe(0);
    expect(g.toString("latin1", 12, 17)).toBe("PLAIN");
    expect(g.subarray(17, 32).every((b) => b === 0)).toBe(true);
    expect(g[32]).toBe(1);
    expect(g.subarray(33).every((b) => b === 0)).toBe(true);
  }, T);

  it("rejects an empty or over-long mechanism name", () => {
    expect(() => encodeGreeting("", false)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => encodeGreeting("X".repeat(21), false)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(encodeGreeting("X".repeat(20), false).toString("latin1", 12, 32)).toBe("X".repeat(20));
  }, T);
});

describe("GreetingParser", () => {
  it("parses a whole greeting and returns trailing bytes as rest", () => {
    const p = new GreetingParser();
    const extra = hex("04 1a 05");
    const r = p.feed(Buffer.concat([greeting({}, "CURVE", true), extra]));
    expect(r.state).toBe("done");
    if (r.state !== "done") return;
    expect(r.greeting).toEqual({ major: 3, minor: 1, mechanism: "CURVE", asServer: true });
    expect(r.rest.equals(extra)).toBe(true);
  }, T);

  it("parses one byte at a time, needing more until byte 64", () => {
    const p = new GreetingParser();
    const g = greeting();
    for (let i = 0; i < GREETING_SIZE - 1; i++) {
      expect(p.feed(g.subarray(i, i + 1)).state).toBe("need-more");
    }
    const r = p.feed(g.subarray(63));
    expect(r.state).toBe("done");
    if (r.state === "done") {
      expect(r.greeting.mechanism).toBe("NULL");
      expect(r.rest.length).toBe(0);
    }
  }, T);

  it("after done, a further chunk is all rest", () => {
    const p = new GreetingParser();
    p.feed(greeting());
    const r = p.feed(hex("00 01 78"));
    expect(r.state === "done" && r.rest.equals(hex("00 01 78"))).toBe(true);
  }, T);

  it("rejects a garbage first byte at the first byte", () => {
    const p = new GreetingParser();
    const r = p.feed(Buffer.from([0x47]));
    expect(r).toMatchObject({ state: "error", code: "EPROTO" });
    // and stays failed
    expect(p.feed(greeting()).state).toBe("error");
  }, T);

  it("rejects bit 0 of byte 9 clear (ZMTP 1.0 peer) at byte 9", () => {
    const p = new GreetingParser();
    const g = greeting({ 9: 0x7e });
    expect(p.feed(g.subarray(0, 9)).state).toBe("need-more");
    expect(p.feed(g.subarray(9, 10)).state).toBe("error");
  }, T);

  it("never validates padding", () => {
    const p = new GreetingParser();
    const r = p.feed(greeting({ 1: 0xaa, 5: 0x55, 8: 0x00, 40: 0x99 }));
    expect(r.state).toBe("done");
  }, T);

  it("rejects major version 2 and 1 as soon as byte 10 arrives", () => {
    for (const major of [1, 2]) {
      const p = new GreetingParser();
      const g = greeting({ 10: major });
      expect(p.feed(g.subarray(0, 10)).state).toBe("need-more");
      const r = p.feed(g.subarray(10, 11));
      expect(r.state).toBe("error");
      if (r.state === "error") expect(r.reason).toMatch(/version/);
    }
  }, T);

  it("accepts major 4 as 3.1", () => {
    const r = new GreetingParser().feed(greeting({ 10: 4, 11: 0 }));
    expect(r.state === "done" && r.greeting).toEqual({ major: 4, minor: 1, mechanism: "NULL", asServer: false });
  }, T);

  it("reports 3.0 peers as minor 0 and exposes peerMajor early", () => {
    const p = new GreetingParser();
    const g = greeting({ 11: 0 });
    p.feed(g.subarray(0, 11));
    expect(p.peerMajor).toBe(3);
    const r = p.feed(g.subarray(11));
    expect(r.state === "done" && r.greeting.minor).toBe(0);
  }, T);

  it("reads the mechanism up to the first NUL, and a full 20-byte name", () => {
    const g = greeting();
    g.fill(0, 12, 32);
    g.write("PLAIN", 12, "latin1");
    g[18] = 0x41; // junk after the NUL is ignored
    let r = new GreetingParser().feed(g);
    expect(r.state === "done" && r.greeting.mechanism).toBe("PLAIN");
    g.fill(0x41, 12, 32);
    r = new GreetingParser().feed(g);
    expect(r.state === "done" && r.greeting.mechanism).toBe("A".repeat(20));
  }, T);
});
