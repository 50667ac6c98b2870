// omq's diagnostic API: what a socket's machinery is doing, for operators and
// for tests of applications built on omq. Not part of zeromq.js; documented
// in the README ("Diagnostics").
import { isSpinning } from "./busy-poll.js";

/** Whether busy polling is keeping the event loop awake right now (a send or
 * receive is waiting within its busyPoll window). */
export function busyPolling(): boolean {
  return isSpinning();
}
