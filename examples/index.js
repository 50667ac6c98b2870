// `npm start`: every example over every transport this build has.
import { capability } from "omq";
import * as asyncServer from "./async-server.js";
import * as pipeline from "./pipeline.js";
import * as httpStream from "./http-stream.js";
import * as reqrep from "./reqrep-echo.js";
import * as secure from "./secure-server.js";
import * as threadPool from "./thread-pool.js";
import * as clone from "./reliability/clone.js";
import * as lazyPirate from "./reliability/lazy-pirate.js";
import * as paranoidPirate from "./reliability/paranoid-pirate.js";
import * as weather from "./weather-pubsub.js";

const transports = ["inproc"];
if (capability.tcp) transports.push("tcp");
if (capability.ipc) transports.push("ipc");
if (capability.ws) transports.push("ws");

for (const t of transports) {
  console.log(`--- over ${t} ---`);
  await weather.main(t);
  await pipeline.main(t);
  await reqrep.main(t);
  await asyncServer.main(t);
  if (t !== "inproc") await secure.main(t);
}
if (capability.tcp) {
  console.log("--- STREAM: plain TCP peers (an HTTP responder) ---");
  await httpStream.main();
}
console.log("--- reliability patterns (examples/reliability) ---");
const reliable = capability.tcp ? "tcp" : "inproc";
await lazyPirate.main(reliable);
await paranoidPirate.main(reliable);
await clone.main(reliable);
console.log("--- inproc between worker threads ---");
await threadPool.main();
console.log("all examples finished");
