// STREAM: a tiny HTTP responder (the ZeroMQ guide's "ZMQ_STREAM HTTP server").
// A STREAM socket talks to plain TCP peers: each message is [routing id,
// bytes]. Here the peers are ordinary HTTP clients (Node's fetch).
// Run alone: node examples/http-stream.js   (or keep serving: ... tcp serve)
import { Stream } from "omq";
import { runIfMain } from "./util.js";

/** Answer every request on `server` until it closes. */
async function serve(server) {
  const pending = new Map(); // routing id → bytes of a request not yet whole
  for await (const [id, data] of server) {
    const key = id.toString("hex");
    if (data.length === 0) {
      pending.delete(key); // a zero-length message: the peer connected or went away
      continue;
    }
    const request = (pending.get(key) ?? "") + data.toString("latin1");
    if (!request.includes("\r\n\r\n")) {
      pending.set(key, request); // the headers may come in several reads
      continue;
    }
    pending.delete(key);
    const path = request.split(" ")[1] ?? "/";
    const body = `Hello from omq's STREAM socket; you asked for ${path}\n`;
    await server.send([id, `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`]);
    await server.send([id, ""]); // closes this peer's connection once the reply is written
  }
}

export async function main() {
  const server = new Stream({ linger: 0 });
  await server.bind("tcp://127.0.0.1:*");
  const serving = serve(server).catch((e) => {
    if (e.code !== "EAGAIN") throw e; // EAGAIN: the socket closed under the loop
  });
  const port = server.lastEndpoint.split(":").pop();
  if (process.argv[3] === "serve") {
    console.log(`  listening on http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
    return serving;
  }
  const answers = [];
  for (const path of ["/", "/hello"]) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    answers.push(`${res.status} ${(await res.text()).trim()}`);
  }
  console.log(`  stream[http]: ${answers.join(" | ")}`);
  server.close();
  await serving;
  return answers;
}

runIfMain(import.meta.url, main);
