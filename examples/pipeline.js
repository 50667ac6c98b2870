// PUSH/PULL pipeline: a ventilator hands out tasks round-robin to workers,
// which push results to a sink that fair-queues them.
// Run alone: node examples/pipeline.js [inproc|tcp|ipc|ws]
import { Pull, Push } from "omq";
import { endpointFor, runIfMain } from "./util.js";

export async function main(transport = "inproc", tasks = 30, workerCount = 3) {
  const sink = new Pull({ linger: 0 });
  await sink.bind(endpointFor(transport, "sink"));
  const ventilator = new Push({ linger: 0 });
  await ventilator.bind(endpointFor(transport, "tasks"));

  const workers = [];
  const perWorker = new Array(workerCount).fill(0);
  for (let w = 0; w < workerCount; w++) {
    const input = new Pull({ linger: 0 });
    const output = new Push({ linger: 0 });
    input.connect(ventilator.lastEndpoint);
    output.connect(sink.lastEndpoint);
    workers.push(
      (async () => {
        for await (const [task] of input) {
          perWorker[w]++;
          await output.send([String(w), String(Number(task) * 2)]);
        }
      })(),
    );
    workers.push({ input, output });
  }

  // wait until every worker is connected so round-robin covers them all
  await new Promise((r) => setTimeout(r, transport === "inproc" ? 0 : 200));
  for (let t = 1; t <= tasks; t++) await ventilator.send(String(t));

  let total = 0;
  for (let n = 0; n < tasks; n++) {
    const [, result] = await sink.receive();
    total += Number(result);
  }
  console.log(`  pipeline[${transport}]: ${tasks} tasks, per worker ${perWorker.join("/")}, sum of results ${total}`);
  for (const w of workers) if (w.input) (w.input.close(), w.output.close());
  ventilator.close();
  sink.close();
  return { total, perWorker };
}

runIfMain(import.meta.url, main);
