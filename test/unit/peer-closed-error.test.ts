// The ECONNRESET a stream engine reports when its peer closes: a ZmqError like
// any other, made without a stack trace (one per ended connection; the
// trace of an event callback says nothing), and Error.stackTraceLimit left
// as it was, even in a realm where it cannot be written.
import { describe, expect, it } from "vitest";
import { ZmqError, peerClosedError } from "../../lib/core/errors.js";

describe("peerClosedError", () => {
  it("is ECONNRESET with libzmq's text, and carries no stack frames", () => {
    const before = Error.stackTraceLimit;
    const e = peerClosedError();
    expect(e).toBeInstanceOf(ZmqError);
    expect(e.code).toBe("ECONNRESET");
    expect(e.errno).toBe(new ZmqError("ECONNRESET").errno);
    expect(e.errno).toBeTypeOf("number");
    expect(e.message).toBe("Connection reset by peer");
    expect(e.stack ?? "").not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(before);
    // an ordinary ZmqError still has its frames
    expect(new ZmqError("ECONNRESET").stack ?? "").toMatch(/\n\s+at /);
  });

  it("still works where Error.stackTraceLimit cannot be written", () => {
    const desc = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")!;
    Object.defineProperty(Error, "stackTraceLimit", { ...desc, writable: false });
    try {
      const e = peerClosedError();
      expect(e.code).toBe("ECONNRESET");
      expect(Error.stackTraceLimit).toBe(desc.value);
    } finally {
      Object.defineProperty(Error, "stackTraceLimit", desc);
    }
  });
});
