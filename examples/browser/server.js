// A live page fed by a Node publisher: one http server serves the page, omq's
// browser bundle and two ZeroMQ endpoints on the same port (the httpServer
// option): a PUB at /feed that the page's SUB follows, and a ROUTER at /rpc
// that answers the page's DEALER.
// Run: npm run example:browser   then open http://localhost:8080/
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { Publisher, Router } from "omq";

const page = readFileSync(new URL("./index.html", import.meta.url));
const bundle = readFileSync(fileURLToPath(import.meta.resolve("omq/browser")));

export async function start(port = 8080, host = "127.0.0.1") {
  const http = createServer((req, res) => {
    if (req.url === "/" || req.url === "/index.html") res.writeHead(200, { "Content-Type": "text/html" }).end(page);
    else if (req.url === "/omq.js") res.writeHead(200, { "Content-Type": "text/javascript" }).end(bundle);
    else res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
  });
  await new Promise((resolve) => http.listen(port, host, resolve));
  const { port: real } = http.address();

  const pub = new Publisher({ httpServer: http, linger: 0 });
  await pub.bind(`ws://${host}:${real}/feed`);
  const rpc = new Router({ httpServer: http, linger: 0 });
  await rpc.bind(`ws://${host}:${real}/rpc`);

  // answer every request: [routing id, text] -> [routing id, reply]
  void (async () => {
    for await (const [id, text] of rpc) await rpc.send([id, `pong: ${text} (${new Date().toISOString()})`]);
  })().catch(() => {});

  let n = 0;
  const timer = setInterval(() => {
    const stats = { n: ++n, time: Date.now(), load: loadavg()[0], cpus: cpus().length, freeMiB: Math.round(freemem() / 2 ** 20), totalMiB: Math.round(totalmem() / 2 ** 20) };
    pub.send(["stats", JSON.stringify(stats)]).catch(() => {});
  }, 250);

  return {
    url: `http://localhost:${real}/`,
    close() {
      clearInterval(timer);
      pub.close();
      rpc.close();
      http.close();
      http.closeAllConnections();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await start(Number(process.env.PORT ?? 8080));
  console.log(`open ${s.url} (Ctrl-C to stop)`);
}
