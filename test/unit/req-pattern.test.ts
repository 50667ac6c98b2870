// REQ's pattern over a real in-thread pipe whose peer answers inside write():
// what a REP in another thread can do when the cross-thread pipe writes at
// once. The reply must be kept (libzmq eats only what was queued before).
import { describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import type { PatternHost, PatternOptions } from "../../lib/core/pattern.js";
import { pipePair } from "../../lib/core/pipe.js";
import { ReqPattern } from "../../patterns/req.js";

const options: PatternOptions = {
  receiveHighWaterMark: 1000, routingId: undefined, conflate: false, invertMatching: false, noDrop: false, manual: false,
  welcomeMessage: undefined, verbosity: null, correlate: false, relaxed: false, probeRouter: false, mandatory: false, handover: false,
};
const host: PatternHost = { options, random: () => 0.5, dropped: () => {}, readable: () => {}, writable: () => {} };
const text = (m: Msg | undefined) => m?.map((f) => f.toString());

describe("REQ pattern", () => {
  it("keeps a reply that arrives before send() returns, and still drops a stale one queued before the request", () => {
    const [mine, peer] = pipePair({ socketType: "REP", endpoint: "inproc://x", locallyInitiated: true }, { socketType: "REQ", endpoint: "inproc://x", locallyInitiated: false }, true, true);
    const req = new ReqPattern(host);
    req.attach(mine);
    const write = mine.write.bind(mine);
    let answerAtOnce = true;
    mine.write = (msg: Msg) => {
      const ok = write(msg);
      if (ok && answerAtOnce) {
        const [delim, body] = peer.read()!;
        peer.write([delim!, Buffer.from(`re:${body!.toString()}`)]);
      }
      return ok;
    };
    expect(req.send([Buffer.from("one")])).toBe("sent");
    expect(text(req.receive())).toEqual(["re:one"]);
    // a reply queued before the next request is stale and dropped
    answerAtOnce = false;
    peer.write([Buffer.alloc(0), Buffer.from("stale")]);
    expect(req.send([Buffer.from("two")])).toBe("sent");
    expect(req.receive()).toBeUndefined();
    expect(text(peer.read())).toEqual(["", "two"]);
    peer.write([Buffer.alloc(0), Buffer.from("re:two")]);
    expect(text(req.receive())).toEqual(["re:two"]);
  });

  it("relaxed: a request the pipe refuses (throws) after the old reply was eaten leaves receive() EFSM, not a wait for ever", () => {
    const relaxed = { ...options, relaxed: true };
    const [mine, peer] = pipePair({ socketType: "REP", endpoint: "inproc://x", locallyInitiated: true }, { socketType: "REQ", endpoint: "inproc://x", locallyInitiated: false }, true, true);
    const req = new ReqPattern({ ...host, options: relaxed });
    req.attach(mine);
    expect(req.send([Buffer.from("one")])).toBe("sent");
    peer.read();
    peer.write([Buffer.alloc(0), Buffer.from("re:one")]); // queued, not yet received
    const write = mine.write.bind(mine);
    mine.write = () => {
      throw Object.assign(new Error("too big"), { code: "EMSGSIZE" });
    };
    expect(() => req.send([Buffer.from("two")])).toThrow("too big");
    expect(() => req.checkReceive(0)).toThrow(expect.objectContaining({ code: "EFSM" }));
    mine.write = write;
    expect(req.send([Buffer.from("three")])).toBe("sent");
    expect(text(peer.read())).toEqual(["", "three"]);
  });
});
