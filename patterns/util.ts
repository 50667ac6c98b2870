import { zmqError } from "../lib/core/errors.js";
import type { PipeEnd } from "../lib/core/pipe.js";

/** A type that never reads from its peers drains and drops whatever they send,
 * so a misbehaving peer cannot grow memory past one pipe, and the pipe reports
 * readActivated again when more arrives. */
export function discardInbound(p: PipeEnd): void {
  while (p.read() !== undefined);
}

export function efsm(): never {
  throw zmqError("EFSM");
}

export function enotsup(): never {
  throw zmqError("ENOTSUP");
}
