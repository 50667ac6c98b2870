// lib/pipe.ts: whole messages, per-direction HWM (writer's SNDHWM + reader's
// RCVHWM), LWM wake-ups and termination, with no sockets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import { type PeerInfo, type PipeOptions, type PipeSink, pipePair } from "../../lib/core/pipe.js";

const T = 5000;
const peer: PeerInfo = { socketType: "PAIR", endpoint: "inproc://unit", locallyInitiated: false };
const m = (s: string): Msg => [Buffer.from(s)];
const tick = () => new Promise<void>((r) => setImmediate(r));

/** A sink that records every notification. */
function recorder() {
  const log: string[] = [];
  const sink: PipeSink = {
    readActivated: () => void log.push("read"),
    writeActivated: () => void log.push("write"),
    terminated: () => void log.push("terminated"),
  };
  return { log, sink };
}

function pair(o: PipeOptions) {
  const [a, b] = pipePair(peer, peer, true, true, o);
  const ra = recorder();
  const rb = recorder();
  a.sink = ra.sink;
  b.sink = rb.sink;
  return { a, b, la: ra.log, lb: rb.log };
}

describe("pipe HWM", () => {
  it("holds exactly writer SNDHWM + reader RCVHWM whole messages; a refused write queues nothing", () => {
    const { a, b } = pair({ aSndHwm: 2, bRcvHwm: 3 });
    for (let i = 0; i < 5; i++) expect(a.write([Buffer.from(String(i)), Buffer.from("part")])).toBe(true);
    expect(a.write(m("6th"))).toBe(false);
    expect(a.outboundLength).toBe(5);
    expect(b.read()!.map(String)).toEqual(["0", "part"]);
    expect(a.write(m("now fits"))).toBe(true);
  }, T);

  it("each direction has its own HWM", () => {
    const { a, b } = pair({ aSndHwm: 1, bRcvHwm: 0, bSndHwm: 1, aRcvHwm: 1 });
    for (let i = 0; i < 100; i++) expect(a.write(m("x"))).toBe(true); // 0 on one side: no limit
    expect(b.write(m("1"))).toBe(true);
    expect(b.write(m("2"))).toBe(true);
    expect(b.write(m("3"))).toBe(false);
  }, T);

  it("an end that contributes nothing (a session) leaves the other side's HWM alone", () => {
    const { a } = pair({ aSndHwm: 3 });
    for (let i = 0; i < 3; i++) expect(a.write(m("x"))).toBe(true);
    expect(a.write(m("x"))).toBe(false);
  }, T);

  it("setHwms on a live pipe applies at once, and a raise wakes a blocked writer", async () => {
    const { a, b, la } = pair({ aSndHwm: 1, bRcvHwm: 1 });
    a.write(m("1"));
    a.write(m("2"));
    expect(a.write(m("3"))).toBe(false);
    b.setHwms(undefined, 5);
    await tick();
    expect(la).toEqual(["write"]);
    expect(a.write(m("3"))).toBe(true);
    a.setHwms(0, undefined);
    for (let i = 0; i < 50; i++) expect(a.write(m("x"))).toBe(true);
  }, T);

  it("conflate keeps only the newest message and never refuses", () => {
    const { a, b } = pair({ aSndHwm: 1, bRcvHwm: 1 });
    b.setConflate(false, true);
    for (let i = 0; i < 10; i++) expect(a.write(m(String(i)))).toBe(true);
    expect(b.read()!.map(String)).toEqual(["9"]);
    expect(b.read()).toBeUndefined();
  }, T);
});

describe("pipe notifications", () => {
  it("writeActivated fires once, only after a refused write, when the reader drains to the LWM", () => {
    // HWM 4, LWM (4+1)/2 = 2: the writer wakes when at most 4-2 = 2 remain
    const { a, b, la } = pair({ aSndHwm: 2, bRcvHwm: 2 });
    for (let i = 0; i < 4; i++) a.write(m(String(i)));
    b.read();
    expect(la).toEqual([]); // nothing was refused yet
    a.write(m("4"));
    expect(a.write(m("5"))).toBe(false);
    b.read();
    expect(la).toEqual([]); // 3 left: above the LWM
    b.read();
    expect(la).toEqual(["write"]); // 2 left
    b.read();
    b.read();
    expect(la).toEqual(["write"]);
  }, T);

  it("checkWrite() at the HWM also arranges a writeActivated", () => {
    const { a, b, la } = pair({ aSndHwm: 1, bRcvHwm: 0 });
    a.setHwms(1, undefined);
    b.setHwms(undefined, 1);
    a.write(m("1"));
    a.write(m("2"));
    expect(a.checkWrite()).toBe(false);
    b.read();
    expect(la).toEqual(["write"]);
    expect(a.checkWrite()).toBe(true);
  }, T);

  it("readActivated fires only after the reader has seen the pipe empty, once per sleep", () => {
    const { a, b, lb } = pair({});
    a.write(m("1"));
    expect(lb).toEqual([]); // the reader never looked: it will read anyway
    expect(b.read()).toBeDefined();
    expect(b.read()).toBeUndefined();
    a.write(m("2"));
    a.write(m("3"));
    expect(lb).toEqual(["read"]);
    expect(b.checkRead()).toBe(true);
    b.read();
    b.read();
    expect(b.checkRead()).toBe(false);
    a.write(m("4"));
    expect(lb).toEqual(["read", "read"]);
  }, T);

  it("close: the peer reads what was written, then sees terminated once; writes to a closed peer fail", async () => {
    const { a, b, la, lb } = pair({});
    a.write(m("1"));
    a.write(m("2"));
    b.write(m("dropped with a"));
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(b.peerClosed).toBe(true);
    expect(b.write(m("to closed"))).toBe(false);
    await tick();
    expect(lb).toEqual([]);
    expect(b.read()!.map(String)).toEqual(["1"]);
    expect(b.read()!.map(String)).toEqual(["2"]);
    await tick();
    expect(lb).toEqual(["terminated"]);
    expect(b.closed).toBe(true);
    expect(la).toEqual([]); // a closed itself and does not report it (reportOwnClose unset)
  }, T);

  it("close of an end with nothing queued terminates the peer at once (next microtask)", async () => {
    const { a, lb } = pair({});
    a.close();
    await tick();
    expect(lb).toEqual(["terminated"]);
  }, T);

  it("reportOwnClose: the owner's sink hears terminated when it closes its own end", async () => {
    const { a, la, lb } = pair({});
    a.reportOwnClose = true;
    a.close();
    expect(la).toEqual(["terminated"]);
    await tick();
    expect(la).toEqual(["terminated"]);
    expect(lb).toEqual(["terminated"]);
  }, T);

  it("onClose runs once when the end closes, either way", async () => {
    const { a, b } = pair({});
    let calls = 0;
    b.onClose = () => void calls++;
    a.close();
    await tick();
    b.close();
    expect(calls).toBe(1);
  }, T);

  it("discardOutbound drops unread messages and wakes a blocked writer", async () => {
    const { a, b, la } = pair({ aSndHwm: 1, bRcvHwm: 0 });
    a.setHwms(1, undefined);
    b.setHwms(undefined, 1);
    a.write(m("1"));
    a.write(m("2"));
    expect(a.write(m("3"))).toBe(false);
    a.discardOutbound();
    await tick();
    expect(la).toEqual(["write"]);
    expect(b.read()).toBeUndefined();
  }, T);
});

describe("pipe properties", () => {
  it("random writes and reads under random HWMs: order kept, never above the HWM, blocked writers always woken", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.boolean(), { maxLength: 200 }),
        (snd, rcv, ops) => {
          const { a, b, la } = pair({ aSndHwm: snd, bRcvHwm: rcv });
          const hwm = snd === 0 || rcv === 0 ? Infinity : snd + rcv;
          const model: number[] = [];
          let next = 0;
          let blocked = false;
          for (const isWrite of ops) {
            if (isWrite) {
              const ok = a.write([Buffer.from(String(next))]);
              expect(ok).toBe(model.length < hwm);
              if (ok) model.push(next++);
              else blocked = true;
            } else {
              const got = b.read();
              const want = model.shift();
              expect(got === undefined ? undefined : Number(got[0]!.toString())).toBe(want);
              if (blocked && la.length > 0) blocked = false;
            }
            expect(a.outboundLength).toBe(model.length);
            expect(model.length).toBeLessThanOrEqual(hwm);
            // a refused writer is woken no later than when the queue is empty
            if (model.length === 0) expect(blocked && la.length === 0).toBe(false);
            la.length = 0;
          }
        },
      ),
      { numRuns: 200 },
    );
  }, T);
});

