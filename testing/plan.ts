// A plan: every choice a simulation makes that is not the code under test's
// own — the seed of its random source (ids, reconnect jitter), the extra
// latency of each packet, and the faults with their times — as plain data
// drawn from fast-check arbitraries. fast-check shrinks a failing plan
// toward seed 0, no jitter (packets in send order) and fewer, earlier,
// smaller faults, which leaves the faults that matter; a plan prints as one
// readable line and replays exactly.
import fc from "fast-check";

export type FaultEvent =
  /** Kill a node at `at` (its sockets vanish, peers see resets); restart it
   * `restartAfter` ms later (never, if absent). */
  | { at: number; kind: "kill"; node: string; restartAfter?: number }
  /** Stop a node for `ms` (timers and reads wait, as a GC pause or SIGSTOP). */
  | { at: number; kind: "pause"; node: string; ms: number }
  /** Packets a→b (and b→a unless oneWay) wait for `ms`, then flow again. */
  | { at: number; kind: "partition"; a: string; b: string; ms: number; oneWay?: boolean }
  /** Break the connection between a and b after `afterBytes` more bytes. */
  | { at: number; kind: "cut"; a: string; b: string; afterBytes: number }
  /** Links a↔b carry `bandwidth` bytes/ms with `latency` ms for `ms`. */
  | { at: number; kind: "slow"; a: string; b: string; ms: number; bandwidth: number; latency: number }
  /** Flip one byte `afterBytes` from now on the connection between a and b
   * (opt-in: TCP does not corrupt; the engine must drop just that connection). */
  | { at: number; kind: "corrupt"; a: string; b: string; afterBytes: number };

export interface Plan {
  /** Seeds the simulation's random source. */
  seed: number;
  /** Extra ms for each packet in turn (cycled; empty: none). */
  jitter: number[];
  faults: FaultEvent[];
}

/** A kind of fault the plan may choose, with its parameter ranges. */
export interface FaultSpec {
  readonly label: string;
  arbitrary(horizon: number): fc.Arbitrary<FaultEvent>;
}

type Range = [number, number];
const int = ([min, max]: Range) => fc.integer({ min, max });

function pairArb(a: string, b?: string | readonly string[]): fc.Arbitrary<[string, string]> {
  if (b === undefined || typeof b === "string") return fc.constant([a, b ?? "*"] as [string, string]);
  return fc.constantFrom(...b).map((x) => [a, x] as [string, string]);
}

/** The faults a plan can contain (each a FaultSpec for plan({ faults })). */
export const faults = {
  kill(node: string, o: { restartAfter?: Range | null } = {}): FaultSpec {
    const restart = o.restartAfter === null ? undefined : (o.restartAfter ?? [0, 5000]);
    return {
      label: `kill(${node})`,
      arbitrary: (h) =>
        fc.record({ at: fc.integer({ min: 0, max: h }), restartAfter: restart === undefined ? fc.constant(undefined) : int(restart) }).map(
          ({ at, restartAfter }): FaultEvent => (restartAfter === undefined ? { at, kind: "kill", node } : { at, kind: "kill", node, restartAfter }),
        ),
    };
  },
  pause(node: string, o: { ms?: Range } = {}): FaultSpec {
    return {
      label: `pause(${node})`,
      arbitrary: (h) => fc.record({ at: fc.integer({ min: 0, max: h }), ms: int(o.ms ?? [1, 10_000]) }).map(({ at, ms }): FaultEvent => ({ at, kind: "pause", node, ms })),
    };
  },
  /** A partition between a and b (b may be a list to choose from); one-way
   * ones too with { oneWay: true } or "maybe". */
  partition(a: string, b: string | readonly string[], o: { ms?: Range; oneWay?: boolean | "maybe" } = {}): FaultSpec {
    const oneWay = o.oneWay === "maybe" ? fc.boolean() : fc.constant(o.oneWay === true);
    return {
      label: `partition(${a},${String(b)})`,
      arbitrary: (h) =>
        fc.record({ at: fc.integer({ min: 0, max: h }), pair: pairArb(a, b), ms: int(o.ms ?? [1, 10_000]), oneWay }).map(
          ({ at, pair, ms, oneWay }): FaultEvent => (oneWay ? { at, kind: "partition", a: pair[0], b: pair[1], ms, oneWay } : { at, kind: "partition", a: pair[0], b: pair[1], ms }),
        ),
    };
  },
  /** A connection drop at a chosen byte: the next `afterBytes` (either way)
   * pass, what follows is lost and both ends see a reset. */
  cut(a: string, b?: string | readonly string[], o: { afterBytes?: Range } = {}): FaultSpec {
    return {
      label: `cut(${a},${String(b ?? "*")})`,
      arbitrary: (h) =>
        fc.record({ at: fc.integer({ min: 0, max: h }), pair: pairArb(a, b), afterBytes: int(o.afterBytes ?? [0, 4096]) }).map(
          ({ at, pair, afterBytes }): FaultEvent => ({ at, kind: "cut", a: pair[0], b: pair[1], afterBytes }),
        ),
    };
  },
  /** A corrupted byte (opt-in; not a fault TCP has). */
  corrupt(a: string, b?: string | readonly string[], o: { afterBytes?: Range } = {}): FaultSpec {
    return {
      label: `corrupt(${a},${String(b ?? "*")})`,
      arbitrary: (h) =>
        fc.record({ at: fc.integer({ min: 0, max: h }), pair: pairArb(a, b), afterBytes: int(o.afterBytes ?? [0, 4096]) }).map(
          ({ at, pair, afterBytes }): FaultEvent => ({ at, kind: "corrupt", a: pair[0], b: pair[1], afterBytes }),
        ),
    };
  },
  /** A slow link for a while (a slow consumer: bandwidth in bytes/ms). */
  slow(a: string, b: string, o: { ms?: Range; bandwidth?: Range; latency?: Range } = {}): FaultSpec {
    return {
      label: `slow(${a},${b})`,
      arbitrary: (h) =>
        fc.record({ at: fc.integer({ min: 0, max: h }), ms: int(o.ms ?? [1, 10_000]), bandwidth: int(o.bandwidth ?? [1, 1000]), latency: int(o.latency ?? [0, 200]) }).map(
          (r): FaultEvent => ({ kind: "slow", a, b, ...r }),
        ),
    };
  },
};

export interface PlanOptions {
  /** The faults to choose from (none: only scheduling choices). */
  faults?: FaultSpec[];
  /** Most faults in one plan (default 4). */
  maxFaults?: number;
  /** Faults fall within [0, horizon] virtual ms (default 10 000). */
  horizon?: number;
  /** Most extra latency per packet, ms (default 0: packets keep their send order across connections too). */
  jitter?: number;
}

/** The arbitrary of plans: shrinks toward no faults, no jitter, seed 0. */
export function plan(o: PlanOptions = {}): fc.Arbitrary<Plan> {
  const specs = o.faults ?? [];
  const horizon = o.horizon ?? 10_000;
  const fault = specs.length === 0 ? undefined : fc.oneof(...specs.map((s) => s.arbitrary(horizon)));
  return fc.record({
    seed: fc.nat(),
    jitter: (o.jitter ?? 0) > 0 ? fc.array(fc.integer({ min: 0, max: o.jitter! }), { maxLength: 16 }) : fc.constant([] as number[]),
    faults: fault === undefined ? fc.constant([] as FaultEvent[]) : fc.array(fault, { maxLength: o.maxFaults ?? 4 }).map((fs) => [...fs].sort((x, y) => x.at - y.at)),
  });
}

/** A plan as one line: "seed 3; kill(server) @1200 restart +300; cut(client,server) @40 after 17 B". */
export function describePlan(p: Plan): string {
  const parts = [`seed ${p.seed}`];
  if (p.jitter.length > 0) parts.push(`jitter [${p.jitter.join(",")}]`);
  for (const f of p.faults) parts.push(describeFault(f));
  if (p.faults.length === 0) parts.push("no faults");
  return parts.join("; ");
}

export function describeFault(f: FaultEvent): string {
  switch (f.kind) {
    case "kill":
      return `kill(${f.node}) @${f.at}ms` + (f.restartAfter === undefined ? "" : ` restart +${f.restartAfter}ms`);
    case "pause":
      return `pause(${f.node}) @${f.at}ms for ${f.ms}ms`;
    case "partition":
      return `partition(${f.a}${f.oneWay ? "→" : "↔"}${f.b}) @${f.at}ms for ${f.ms}ms`;
    case "cut":
      return `cut(${f.a},${f.b}) @${f.at}ms after ${f.afterBytes} B`;
    case "corrupt":
      return `corrupt(${f.a},${f.b}) @${f.at}ms byte +${f.afterBytes}`;
    case "slow":
      return `slow(${f.a},${f.b}) @${f.at}ms for ${f.ms}ms at ${f.bandwidth} B/ms +${f.latency}ms`;
  }
}
