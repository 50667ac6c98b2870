// Pipe activation, deactivation and removal are O(1), as libzmq's array_t
// (each pipe keeps its index): counted by how many array elements one
// operation touches, never by timing. A model check keeps the exact order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Msg } from "../../lib/core/message.js";
import type { PatternHost, PatternOptions } from "../../lib/core/pattern.js";
import type { PipeEnd } from "../../lib/core/pipe.js";
import { FairQueue } from "../../patterns/fair-queue.js";
import { LoadBalancer } from "../../patterns/load-balancer.js";
import { XPubPattern } from "../../patterns/xpub.js";
import { XSubPattern } from "../../patterns/xsub.js";

const N = 20_000;
/** Most array elements one operation may touch. */
const BUDGET = 16;

/** A fake pipe end: inbound queue, outbound accepting unless `full`. */
function fakePipe(name: string) {
  const p = {
    name,
    q: [] as Msg[],
    full: false,
    closed: false,
    mark: 0,
    sink: undefined as unknown,
    read: (): Msg | undefined => p.q.shift(),
    checkRead: () => p.q.length > 0,
    write: () => !p.full,
    checkWrite: () => !p.full,
    close() {
      p.closed = true;
    },
  };
  return p;
}
type Fake = ReturnType<typeof fakePipe>;
const asPipe = (p: Fake) => p as unknown as PipeEnd;

/** Replace `owner[field]` (an array) by a proxy counting element accesses. */
function countAccesses(owner: object, field: string): { n: number } {
  const o = owner as Record<string, unknown[]>;
  const counter = { n: 0 };
  const isIndex = (k: string | symbol) => typeof k === "string" && /^\d+$/.test(k);
  o[field] = new Proxy(o[field]!, {
    get(t, k, r) {
      if (isIndex(k)) counter.n++;
      return Reflect.get(t, k, r);
    },
    set(t, k, v, r) {
      if (isIndex(k)) counter.n++;
      return Reflect.set(t, k, v, r);
    },
    has(t, k) {
      if (isIndex(k)) counter.n++;
      return Reflect.has(t, k);
    },
    deleteProperty(t, k) {
      if (isIndex(k)) counter.n++;
      return Reflect.deleteProperty(t, k);
    },
  });
  return counter;
}

/** Run op and fail if it touched more than BUDGET elements of the counted arrays. */
function o1(counters: Array<{ n: number }>, what: string, op: () => void): void {
  for (const c of counters) c.n = 0;
  op();
  const n = counters.reduce((s, c) => s + c.n, 0);
  if (n > BUDGET) throw new Error(`${what} touched ${n} array elements (O(1) allows ${BUDGET}) with ${N} pipes`);
}

const fakes = () => Array.from({ length: N }, (_, i) => fakePipe(String(i)));

describe("FairQueue and LoadBalancer: O(1) per pipe", () => {
  it("FairQueue: activating and detaching each of 20 000 pipes touches O(1) elements", () => {
    const fq = new FairQueue();
    const ps = fakes();
    for (const p of ps) fq.attach(asPipe(p));
    const c = countAccesses(fq, "pipes");
    expect(fq.hasIn()).toBe(false); // every pipe found empty: all inactive
    for (let i = N - 1; i >= 0; i--) {
      ps[i]!.q.push([Buffer.from(String(i))]);
      o1([c], `activating pipe ${i}`, () => fq.activated(asPipe(ps[i]!)));
    }
    o1([c], "receiving", () => expect(fq.receive()).toBeDefined());
    for (let i = 0; i < N; i++) o1([c], `detaching pipe ${i}`, () => fq.detach(asPipe(ps[i]!)));
    expect(fq.size).toBe(0);
  }, 20_000);

  it("LoadBalancer: attaching, activating and detaching touch O(1) elements", () => {
    const lb = new LoadBalancer();
    const ps = fakes();
    const c = countAccesses(lb, "pipes");
    for (const p of ps) {
      p.full = true;
      o1([c], `attaching pipe ${p.name}`, () => lb.attach(asPipe(p)));
    }
    expect(lb.hasOut()).toBe(false);
    for (let i = N - 1; i >= 0; i--) {
      ps[i]!.full = false;
      o1([c], `activating pipe ${i}`, () => lb.activated(asPipe(ps[i]!)));
    }
    // activation fills the active prefix from the front: the first activated goes first
    expect((lb.send([Buffer.from("x")]) as unknown as Fake).name).toBe(String(N - 1));
    for (let i = N - 1; i >= 0; i--) o1([c], `detaching pipe ${i}`, () => lb.detach(asPipe(ps[i]!)));
    expect(lb.size).toBe(0);
  }, 20_000);

  it("one pipe in a LoadBalancer and a FairQueue at once (DEALER) keeps both indexes", () => {
    const lb = new LoadBalancer();
    const fq = new FairQueue();
    const ps = fakes();
    for (const p of ps) {
      lb.attach(asPipe(p));
      fq.attach(asPipe(p));
    }
    const c = [countAccesses(lb, "pipes"), countAccesses(fq, "pipes")];
    expect(fq.hasIn()).toBe(false);
    ps[N - 1]!.full = true;
    o1(c, "sending", () => lb.send([Buffer.from("x")])); // pipe 0 takes it
    for (let i = N - 1; i >= 0; i -= 2) {
      ps[i]!.q.push([Buffer.from(String(i))]);
      o1(c, `activating pipe ${i}`, () => fq.activated(asPipe(ps[i]!)));
      o1(c, `detaching pipe ${i - 1}`, () => {
        lb.detach(asPipe(ps[i - 1]!));
        fq.detach(asPipe(ps[i - 1]!));
      });
    }
    expect(lb.size).toBe(N / 2);
    expect(fq.size).toBe(N / 2);
    const got = new Set<string>();
    let m;
    while ((m = fq.receive()) !== undefined) got.add(m[0]!.toString());
    expect(got.size).toBe(N / 2);
  }, 20_000);
});

function host(o: Partial<PatternOptions> = {}): PatternHost {
  const options: PatternOptions = {
    receiveHighWaterMark: 0,
    routingId: undefined,
    conflate: false,
    invertMatching: false,
    noDrop: false,
    manual: false,
    welcomeMessage: undefined,
    verbosity: null,
    correlate: false,
    relaxed: false,
    probeRouter: false,
    mandatory: false,
    handover: false,
    ...o,
  };
  return { options, random: Math.random, readable() {}, writable() {}, dropped() {} };
}

describe("XPUB and XSUB pipe lists: O(1) per pipe", () => {
  it("XPUB: the manual-mode check of the subscription's peer on receive touches O(1) elements", () => {
    const xpub = new XPubPattern(host({ manual: true }));
    const ps = fakes();
    for (const p of ps) xpub.attach(asPipe(p));
    const c = countAccesses(xpub, "pipes");
    // a subscription from the last peer, read by the application
    ps[N - 1]!.q.push([Buffer.from("\x01t")]);
    xpub.readActivated(asPipe(ps[N - 1]!));
    o1([c], "receiving a subscription", () => expect(xpub.receive()).toBeDefined());
    // it applies to that peer: a message on "t" goes to it alone
    const sent: string[] = [];
    for (const p of ps) p.write = () => (sent.push(p.name), true);
    xpub.manualSubscribe(true, Buffer.from("t"));
    xpub.send([Buffer.from("t1")]);
    expect(sent).toEqual([String(N - 1)]);
  }, 20_000);

  it("XPUB: each of 20 000 peers leaving touches O(1) elements", () => {
    const xpub = new XPubPattern(host());
    const ps = fakes();
    for (const p of ps) xpub.attach(asPipe(p));
    const c = countAccesses(xpub, "pipes");
    for (let i = 0; i < N; i++) {
      o1([c], `pipe ${i} terminating`, () => xpub.terminated(asPipe(ps[i]!)));
    }
    o1([c], "terminating a pipe twice", () => xpub.terminated(asPipe(ps[0]!)));
  }, 20_000);

  it("XSUB: a peer leaving touches O(1) elements", () => {
    const xsub = new XSubPattern(host());
    const ps = fakes();
    for (const p of ps) xsub.attach(asPipe(p));
    const c = [countAccesses(xsub, "pipes"), countAccesses((xsub as unknown as { fq: object }).fq, "pipes")];
    for (let i = 0; i < N; i++) o1(c, `pipe ${i} terminating`, () => xsub.terminated(asPipe(ps[i]!)));
    expect(xsub.hasIn()).toBe(false);
  }, 20_000);
});

// The pre-O(1) ActivePipes, kept here as the reference for the order pipes are used in.
class RefActive {
  pipes: Fake[] = [];
  active = 0;
  current = 0;
  attach(p: Fake): void {
    this.pipes.push(p);
    this.activated(p);
  }
  activated(p: Fake): void {
    const i = this.pipes.indexOf(p);
    if (i < 0 || i < this.active) return;
    this.swap(i, this.active);
    this.active++;
  }
  detach(p: Fake): void {
    let i = this.pipes.indexOf(p);
    if (i < 0) return;
    if (i < this.active) {
      this.active--;
      this.swap(i, this.active);
      i = this.active;
      if (this.current === this.active) this.current = 0;
    }
    this.swap(i, this.pipes.length - 1);
    this.pipes.pop();
  }
  advance(): void {
    this.current++;
    if (this.current >= this.active) this.current = 0;
  }
  deactivateCurrent(): void {
    this.active--;
    this.swap(this.current, this.active);
    if (this.current === this.active) this.current = 0;
  }
  swap(i: number, j: number): void {
    const t = this.pipes[i]!;
    this.pipes[i] = this.pipes[j]!;
    this.pipes[j] = t;
  }
  /** lb_t send / fq_t recv: the pipe used, or undefined. */
  take(ok: (p: Fake) => boolean): Fake | undefined {
    while (this.active > 0) {
      const p = this.pipes[this.current]!;
      if (ok(p)) {
        this.advance();
        return p;
      }
      this.deactivateCurrent();
    }
    return undefined;
  }
}

describe("order is the same as before", () => {
  it("property: a DEALER-like LoadBalancer + FairQueue pick the same pipes as the reference", () => {
    type Op =
      | { k: "attach" }
      | { k: "detach" | "readable" | "writable" | "fill" | "drain"; i: number }
      | { k: "send" }
      | { k: "receive" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ k: "attach" }),
      fc.record({ k: fc.constantFrom("detach", "readable", "writable", "fill", "drain" as const), i: fc.nat(20) }) as fc.Arbitrary<Op>,
      fc.constant<Op>({ k: "send" }),
      fc.constant<Op>({ k: "receive" }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        // two fakes per pipe: one seen by the implementation, one by the reference
        const real: Fake[] = [];
        const ref: Fake[] = [];
        const live: number[] = [];
        const lb = new LoadBalancer();
        const fq = new FairQueue();
        const rlb = new RefActive();
        const rfq = new RefActive();
        for (const o of ops) {
          if (o.k === "attach") {
            const id = real.length;
            real.push(fakePipe(String(id)));
            ref.push(fakePipe(String(id)));
            live.push(id);
            lb.attach(asPipe(real[id]!));
            fq.attach(asPipe(real[id]!));
            rlb.attach(ref[id]!);
            rfq.attach(ref[id]!);
            continue;
          }
          if (o.k === "send") {
            const a = lb.send([Buffer.from("m")]) as unknown as Fake | undefined;
            const b = rlb.take((p) => !p.full);
            expect(a?.name).toBe(b?.name);
            continue;
          }
          if (o.k === "receive") {
            const m = fq.receive();
            const b = rfq.take((p) => p.q.shift() !== undefined);
            expect(m === undefined ? undefined : (fq.last as unknown as Fake).name).toBe(b?.name);
            continue;
          }
          if (live.length === 0) continue;
          const id = live[o.i % live.length]!;
          const [x, y] = [real[id]!, ref[id]!];
          if (o.k === "detach") {
            live.splice(live.indexOf(id), 1);
            lb.detach(asPipe(x));
            fq.detach(asPipe(x));
            rlb.detach(y);
            rfq.detach(y);
          } else if (o.k === "readable") {
            fq.activated(asPipe(x));
            rfq.activated(y);
          } else if (o.k === "writable") {
            x.full = y.full = false;
            lb.activated(asPipe(x));
            rlb.activated(y);
          } else if (o.k === "fill") {
            x.full = y.full = true;
            x.q.push([Buffer.from("m")]);
            y.q.push([Buffer.from("m")]);
          } else {
            x.q.length = y.q.length = 0;
          }
        }
        expect(lb.size).toBe(rlb.pipes.length);
        expect(fq.size).toBe(rfq.pipes.length);
      }),
      { numRuns: 500 },
    );
  }, 20_000);
});
