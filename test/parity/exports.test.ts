// zeromq.js parity (#12 item 13): every name zeromq.js's main entry exports
// exists in omq's, of the same kind (class, function, object, string).
import { describe, expect, it } from "vitest";
import * as omq from "../../index.js";
import { zmq } from "./harness.js";

/** Names zeromq.js exports that omq does not build (none). */
const NOT_YET = new Set<string>();

describe("exports", () => {
  it("omq exports every name zeromq.js does, with the same kind of value", () => {
    const z = zmq() as unknown as Record<string, unknown>;
    const o = omq as unknown as Record<string, unknown>;
    const missing = Object.keys(z).filter((k) => !(k in o));
    expect(missing).toEqual([...NOT_YET]);
    for (const k of Object.keys(z)) {
      if (NOT_YET.has(k)) continue;
      expect(typeof o[k], k).toBe(typeof z[k]);
    }
  });
});
