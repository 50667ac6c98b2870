// DEALER/ROUTER: an asynchronous server. Clients (DEALERs with their own
// routing ids) fire several requests without waiting; the ROUTER sees who sent
// each one and answers that client only.
// Run alone: node examples/async-server.js [inproc|tcp|ipc|ws]
import { Dealer, Router } from "omq";
import { endpointFor, runIfMain } from "./util.js";

export async function main(transport = "inproc", clients = 3, requests = 4) {
  const router = new Router({ linger: 0 });
  await router.bind(endpointFor(transport, "async"));
  const serving = (async () => {
    for await (const [id, body] of router) await router.send([id, `${body} -> done for ${id}`]);
  })();

  const dealers = [];
  for (let c = 0; c < clients; c++) {
    const d = new Dealer({ routingId: `client-${c}`, linger: 0 });
    d.connect(router.lastEndpoint);
    dealers.push(d);
  }
  const answers = await Promise.all(
    dealers.map(async (d, c) => {
      for (let r = 0; r < requests; r++) await d.send(`job ${c}.${r}`);
      const got = [];
      for (let r = 0; r < requests; r++) got.push((await d.receive())[0].toString());
      return got;
    }),
  );
  for (const a of answers) console.log(`  dealer/router[${transport}]: ${a[0]} (+${a.length - 1} more)`);
  for (const d of dealers) d.close();
  router.close();
  await serving;
  return answers;
}

runIfMain(import.meta.url, main);
