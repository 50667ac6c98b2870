// node:dgram, loaded when the first pgm endpoint opens: importing omq must not
// load a transport the application does not use.
import type dgram from "node:dgram";

let loaded: Promise<typeof dgram> | undefined;

export function loadDgram(): Promise<typeof dgram> {
  return (loaded ??= import("node:dgram").then((m) => m.default));
}
