// LoadBalancer and FairQueue (libzmq lb_t / fq_t) over fake pipes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import type { PipeEnd } from "../../lib/core/pipe.js";
import { FairQueue } from "../../patterns/fair-queue.js";
import { LoadBalancer } from "../../patterns/load-balancer.js";

const T = 5000;

/** A fake outbound pipe: accepts while `full` is false, records what it got. */
function outPipe(name: string) {
  const p = {
    name,
    full: false,
    got: [] as string[],
    write(msg: Msg) {
      if (p.full) return false;
      p.got.push(msg[0]!.toString());
      return true;
    },
    checkWrite: () => !p.full,
  };
  return p;
}

/** A fake inbound pipe with a queue of messages. */
function inPipe(name: string, msgs: string[] = []) {
  const p = {
    name,
    q: [...msgs],
    read: (): Msg | undefined => {
      const s = p.q.shift();
      return s === undefined ? undefined : [Buffer.from(s)];
    },
    checkRead: () => p.q.length > 0,
  };
  return p;
}

const asPipe = (p: object) => p as unknown as PipeEnd;

describe("LoadBalancer", () => {
  it("sends to each pipe in turn", () => {
    const lb = new LoadBalancer();
    const ps = ["a", "b", "c"].map(outPipe);
    ps.forEach((p) => lb.attach(asPipe(p)));
    const used = [];
    for (let i = 0; i < 7; i++) used.push((lb.send([Buffer.from(String(i))]) as unknown as { name: string }).name);
    expect(used).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
  }, T);

  it("skips a pipe that refuses (deactivating it) until it is activated again", () => {
    const lb = new LoadBalancer();
    const [a, b, c] = ["a", "b", "c"].map(outPipe);
    for (const p of [a, b, c]) lb.attach(asPipe(p!));
    b!.full = true;
    for (let i = 0; i < 4; i++) lb.send([Buffer.from(String(i))]);
    expect(a!.got).toEqual(["0", "2"]);
    expect(c!.got).toEqual(["1", "3"]);
    b!.full = false;
    // not retried until activated (libzmq: a full pipe waits for activate_write)
    lb.send([Buffer.from("4")]);
    lb.send([Buffer.from("5")]);
    expect(b!.got).toEqual([]);
    lb.activated(asPipe(b!));
    for (let i = 6; i < 9; i++) lb.send([Buffer.from(String(i))]);
    expect(b!.got.length).toBe(1);
    expect([...a!.got, ...b!.got, ...c!.got].sort()).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
  }, T);

  it("returns undefined and reports no room when every pipe refuses, or there is none", () => {
    const lb = new LoadBalancer();
    expect(lb.send([Buffer.from("x")])).toBeUndefined();
    expect(lb.hasOut()).toBe(false);
    const a = outPipe("a");
    a.full = true;
    lb.attach(asPipe(a));
    expect(lb.hasOut()).toBe(false);
    expect(lb.send([Buffer.from("x")])).toBeUndefined();
    a.full = false;
    lb.activated(asPipe(a));
    expect(lb.hasOut()).toBe(true);
  }, T);

  it("detach of the current, an earlier, or an inactive pipe keeps the rotation going", () => {
    const lb = new LoadBalancer();
    const ps = ["a", "b", "c", "d"].map(outPipe);
    ps.forEach((p) => lb.attach(asPipe(p)));
    lb.send([Buffer.from("0")]); // a; current -> b
    lb.detach(asPipe(ps[1]!)); // the current one
    ps[3]!.full = true;
    lb.send([Buffer.from("1")]);
    lb.detach(asPipe(ps[3]!));
    lb.detach(asPipe(ps[3]!)); // twice: no-op
    for (let i = 2; i < 6; i++) lb.send([Buffer.from(String(i))]);
    expect(ps[1]!.got).toEqual([]);
    expect(ps[0]!.got.length + ps[2]!.got.length).toBe(6);
    expect(Math.abs(ps[0]!.got.length - ps[2]!.got.length)).toBeLessThanOrEqual(1);
    expect(lb.size).toBe(2);
  }, T);

  it("property: accepting pipes share the load within one message, refusing ones get nothing", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 60 }), (fullness, n) => {
        const lb = new LoadBalancer();
        const ps = fullness.map((full, i) => Object.assign(outPipe(String(i)), { full }));
        ps.forEach((p) => lb.attach(asPipe(p)));
        let sent = 0;
        for (let i = 0; i < n; i++) if (lb.send([Buffer.from(String(i))]) !== undefined) sent++;
        const open = ps.filter((p) => !p.full);
        expect(sent).toBe(open.length > 0 ? n : 0);
        for (const p of ps) if (p.full) expect(p.got).toEqual([]);
        const counts = open.map((p) => p.got.length);
        if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  }, T);
});

describe("FairQueue", () => {
  it("takes one message from each pipe in turn and remembers where it came from", () => {
    const fq = new FairQueue();
    const ps = [inPipe("a", ["a0", "a1"]), inPipe("b", ["b0"]), inPipe("c", ["c0", "c1", "c2"])];
    ps.forEach((p) => fq.attach(asPipe(p)));
    const got: string[] = [];
    const from: string[] = [];
    let msg;
    while ((msg = fq.receive()) !== undefined) {
      got.push(msg[0]!.toString());
      from.push((fq.last as unknown as { name: string }).name);
    }
    expect(got).toEqual(["a0", "b0", "c0", "a1", "c1", "c2"]);
    expect(from).toEqual(["a", "b", "c", "a", "c", "c"]);
    expect(fq.hasIn()).toBe(false);
  }, T);

  it("an emptied pipe is skipped until activated again", () => {
    const fq = new FairQueue();
    const a = inPipe("a", ["a0"]);
    const b = inPipe("b", ["b0", "b1", "b2"]);
    fq.attach(asPipe(a));
    fq.attach(asPipe(b));
    expect(fq.receive()![0]!.toString()).toBe("a0");
    expect(fq.receive()![0]!.toString()).toBe("b0");
    expect(fq.receive()![0]!.toString()).toBe("b1"); // a found empty: deactivated
    a.q.push("a1");
    expect(fq.receive()![0]!.toString()).toBe("b2");
    expect(fq.hasIn()).toBe(false);
    fq.activated(asPipe(a));
    expect(fq.hasIn()).toBe(true);
    expect(fq.receive()![0]!.toString()).toBe("a1");
  }, T);

  it("detach removes a pipe, even the current one", () => {
    const fq = new FairQueue();
    const a = inPipe("a", ["a0", "a1"]);
    const b = inPipe("b", ["b0", "b1"]);
    fq.attach(asPipe(a));
    fq.attach(asPipe(b));
    fq.receive();
    fq.detach(asPipe(b));
    fq.detach(asPipe(b));
    const rest: string[] = [];
    let msg;
    while ((msg = fq.receive()) !== undefined) rest.push(msg[0]!.toString());
    expect(rest).toEqual(["a1"]);
  }, T);

  it("property: every message arrives once, each pipe's order kept, strict rotation while all have messages", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const fq = new FairQueue();
        const ps = sizes.map((n, k) => inPipe(String(k), Array.from({ length: n }, (_, i) => `${k}:${i}`)));
        ps.forEach((p) => fq.attach(asPipe(p)));
        const got: string[] = [];
        let msg;
        while ((msg = fq.receive()) !== undefined) got.push(msg[0]!.toString());
        expect(got.length).toBe(sizes.reduce((x, y) => x + y, 0));
        for (const [k, n] of sizes.entries()) {
          expect(got.filter((g) => g.startsWith(`${k}:`))).toEqual(Array.from({ length: n }, (_, i) => `${k}:${i}`));
        }
        // the first round takes one from every non-empty pipe
        const round = Math.min(got.length, sizes.filter((n) => n > 0).length);
        expect(new Set(got.slice(0, round).map((g) => g.split(":")[0])).size).toBe(round);
      }),
      { numRuns: 200 },
    );
  }, T);
});
