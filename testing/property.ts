// The property runner: fast-check draws a plan (and the test's own input),
// each case runs in a fresh simulation, a failure is shrunk and reported with
// one line that replays it exactly, and sometimes() labels that no run
// reached fail the property.
import fc from "fast-check";
import { type Plan, describePlan, plan as planArb } from "./plan.js";
import { Coverage, type Simulation, type SimulationOptions, simulation } from "./simulation.js";

export interface PropertyOptions<I> {
  /** Plans to draw (default plan(): no faults). */
  plan?: fc.Arbitrary<Plan>;
  /** The test's own input (default: none). */
  input?: fc.Arbitrary<I>;
  /** Cases to run (default 100). */
  numRuns?: number;
  /** fast-check's seed (default: random, printed on failure). */
  seed?: number;
  /** Replay one failure: the line a failure printed, or its JSON. The
   * environment variable OMQ_REPLAY does the same. */
  replay?: string;
  /** Options of each case's simulation. */
  simulation?: Omit<SimulationOptions, "plan" | "coverage">;
  /** Run every case twice and fail if the two traces differ (catches
   * Math.random, Date.now or real I/O in the code under test). */
  determinism?: boolean;
}

export interface PropertyReport {
  runs: number;
  /** How often each sometimes() label held. */
  coverage: Map<string, number>;
  /** Wall-clock ms for all runs. */
  ms: number;
}

export interface Replay {
  seed: number;
  path: string;
  plan?: Plan;
}

export class PropertyFailure extends Error {
  readonly code = "EPROPERTY";
  constructor(
    message: string,
    readonly replay: Replay | undefined,
    readonly plan: Plan | undefined,
    readonly input: unknown,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = "PropertyFailure";
  }
}

const REPLAY_PREFIX = "omq/testing replay: ";

/** Parse a replay line or its JSON. */
export function parseReplay(line: string): Replay {
  const i = line.indexOf("{");
  if (i < 0) throw new TypeError("not a replay line");
  return JSON.parse(line.slice(i)) as Replay;
}

/** One case: a fresh simulation running `body` to its end; the trace hash. */
export async function runCase<I>(body: (sim: Simulation, input: I) => Promise<void> | void, p: Plan, input: I, o: SimulationOptions = {}): Promise<string> {
  const sim = simulation({ ...o, plan: p });
  try {
    await sim.run(() => body(sim, input));
    return sim.trace.hash();
  } finally {
    await sim.close();
  }
}

/** Run the same case twice; throws if the traces differ. Returns the hash. */
export async function checkDeterminism<I>(body: (sim: Simulation, input: I) => Promise<void> | void, p: Plan, input: I, o: SimulationOptions = {}): Promise<string> {
  const a = await runCase(body, p, input, o);
  // the second run's sometimes() must not count twice
  const b = await runCase(body, p, input, { ...o, coverage: new Coverage() });
  if (a !== b) throw new Error(`non-determinism detected: the same plan gave trace ${a} then ${b} (Math.random, Date.now, real timers or I/O in the code under test?)`);
  return a;
}

/** Check a property of code running in simulations (see PropertyOptions). */
export async function property<I = undefined>(body: (sim: Simulation, input: I) => Promise<void> | void, o: PropertyOptions<I> = {}): Promise<PropertyReport> {
  const coverage = new Coverage();
  const simOpts: SimulationOptions = { ...o.simulation, coverage };
  const inputArb = o.input ?? (fc.constant(undefined) as unknown as fc.Arbitrary<I>);
  const replayText = o.replay ?? process.env.OMQ_REPLAY;
  const replay = replayText ? parseReplay(replayText) : undefined;
  const started = performance.now();
  let runs = 0;
  const prop = fc.asyncProperty(o.plan ?? planArb(), inputArb, async (p, input) => {
    runs++;
    if (o.determinism) await checkDeterminism(body, p, input, simOpts);
    else await runCase(body, p, input, simOpts);
  });
  const params: fc.Parameters<[Plan, I]> = { numRuns: o.numRuns ?? 100 };
  if (replay !== undefined) {
    params.seed = replay.seed;
    params.path = replay.path;
    params.endOnFailure = true;
  } else if (o.seed !== undefined) params.seed = o.seed;
  const d = await fc.check(prop, params);
  if (d.failed) {
    const [p, input] = d.counterexample ?? [undefined, undefined];
    const r: Replay | undefined = d.counterexamplePath === null ? undefined : { seed: d.seed, path: d.counterexamplePath, ...(p ? { plan: p } : {}) };
    const line = r === undefined ? "" : REPLAY_PREFIX + JSON.stringify(r);
    // a replay regenerates its case from seed and path: a changed arbitrary
    // (or fast-check) gives another case; say so rather than mislead
    const drifted = replay?.plan !== undefined && p !== undefined && JSON.stringify(replay.plan) !== JSON.stringify(p);
    const err = d.errorInstance;
    const lines = [
      `omq/testing: property failed after ${d.numRuns} run(s), shrunk ${d.numShrinks} time(s)`,
      `  plan:  ${p ? describePlan(p) : "?"}`,
      ...(input === undefined ? [] : [`  input: ${fc.stringify(input)}`]),
      `  error: ${err instanceof Error ? err.message.split("\n").join("\n         ") : String(err)}`,
      `  ${line}`,
      ...(drifted ? [`  note: the replayed plan differs from the one in the replay line (${describePlan(replay!.plan!)}): the arbitraries changed since`] : []),
    ];
    if (line) console.error(line);
    throw new PropertyFailure(lines.join("\n"), r, p, input, err);
  }
  const missing = coverage.missing();
  if (missing.length > 0 && replay === undefined) {
    throw new PropertyFailure(`omq/testing: sometimes(${missing.map((m) => JSON.stringify(m)).join(", ")}) never held in ${runs} run(s): the faults never reached that state`, undefined, undefined, undefined, undefined);
  }
  return { runs, coverage: coverage.hits, ms: performance.now() - started };
}
