// omq in a browser: the package's `omq/browser` entry (bundled by
// scripts/build-browser.mjs into dist/browser/omq.js). Every socket type,
// inproc within the page, and ws:// / wss:// connect over the platform's
// WebSocket with the bare ZWS2.0; no listening, no PLAIN/CURVE/ZAP, no
// tcp/ipc/pgm. The API is the Node entry's otherwise (zeromq.js v6's).
import { registerSocketType } from "./lib/core/socket-type.js";
import { registerTransport } from "./lib/core/transport.js";
import { defineSocketClassOptions } from "./lib/api/socket-classes.js";
import { SOCKET_TYPES } from "./patterns/index.js";
import { inprocTransport } from "./transports/inproc.js";
import { browserWsTransport } from "./transports/ws/browser.js";

for (const t of SOCKET_TYPES) registerSocketType(t);
defineSocketClassOptions();
registerTransport(inprocTransport);
registerTransport(browserWsTransport);

export * from "./lib/index.js";
