// Helpers shared by the examples: an endpoint per transport, and running an
// example directly from the command line.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

let dir;
let n = 0;

export function endpointFor(transport, name) {
  switch (transport) {
    case "inproc":
      return `inproc://${name}-${process.pid}-${n++}`;
    case "tcp":
      return "tcp://127.0.0.1:*"; // the OS picks a port; read it back from lastEndpoint
    case "ws":
      return `ws://127.0.0.1:*/${name}`; // ZeroMQ over WebSocket (ZWS 2.0); a path per endpoint
    case "ipc":
      dir ??= mkdtempSync(join(tmpdir(), "omq-example-"));
      return `ipc://${join(dir, `${name}-${n++}.sock`)}`;
    default:
      throw new Error(`unknown transport ${transport}`);
  }
}

export function runIfMain(url, main) {
  if (process.argv[1] && fileURLToPath(url) === process.argv[1]) {
    main(process.argv[2] ?? "inproc").catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
  }
}
