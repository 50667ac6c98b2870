// REQ/REP: a client sends requests in lock-step; the server echoes them.
// Run alone: node examples/reqrep-echo.js [inproc|tcp|ipc|ws]
import { Reply, Request } from "omq";
import { endpointFor, runIfMain } from "./util.js";

export async function main(transport = "inproc", rounds = 5) {
  const server = new Reply({ linger: 0 });
  await server.bind(endpointFor(transport, "echo"));
  const serving = (async () => {
    for await (const [msg] of server) await server.send(`echo: ${msg}`);
  })();

  const client = new Request({ linger: 0 });
  client.connect(server.lastEndpoint);
  const replies = [];
  for (let i = 0; i < rounds; i++) {
    await client.send(`hello ${i}`);
    const [reply] = await client.receive();
    replies.push(reply.toString());
  }
  console.log(`  req/rep[${transport}]: ${replies.join(", ")}`);
  client.close();
  server.close();
  await serving;
  return replies;
}

runIfMain(import.meta.url, main);
