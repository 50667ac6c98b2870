// omq/testing: deterministic, shrinking, fault-injecting tests for protocols
// built on omq (README "Testing your protocol"). The real library runs over a
// simulated wire (sim://) in virtual time; fast-check chooses the schedule
// and the faults, and shrinks a failure to the faults that matter.
import "./index.js";
import { registerTransport } from "./lib/core/transport.js";
import { simTransport } from "./transports/sim/index.js";
import { loadSodium } from "./lib/zmtp/mechanisms/sodium.js";

registerTransport(simTransport);
// CURVE's cryptography loads with a real dynamic import, which virtual time
// would not wait for: have it loaded before any simulation runs
await loadSodium().catch(() => {});

export { Simulation, SimNode, SimulationError, Coverage, simulation } from "./testing/simulation.js";
export type { SimulationOptions } from "./testing/simulation.js";
export { plan, faults, describePlan, describeFault } from "./testing/plan.js";
export type { Plan, FaultEvent, FaultSpec, PlanOptions } from "./testing/plan.js";
export { Trace, lastFrameKey } from "./testing/trace.js";
export type { TraceEvent, Fate, LossReason, KeyOf } from "./testing/trace.js";
export { History } from "./testing/history.js";
export type { Op, OpType } from "./testing/history.js";
export { NodeClock } from "./testing/virtual-clock.js";
export { seededRandom } from "./testing/random.js";
export { property, runCase, checkDeterminism, parseReplay, PropertyFailure } from "./testing/property.js";
export type { PropertyOptions, PropertyReport, Replay } from "./testing/property.js";
export { check, CheckError, allOk, everyOk, atMostOnce, fifo, gapsExplained, strictlyIncreasing, converges } from "./testing/checks.js";
export { arb, frame, message, routingId, topics } from "./testing/arbitraries.js";
