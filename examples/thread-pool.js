// Actors in worker threads wired by inproc: a ROUTER in the main thread hands
// jobs to a pool of workers (each a DEALER in its own thread, the load-balancing
// broker of the ZeroMQ guide), which answer through the same pipe. The default
// context is shared by every thread, so "inproc://jobs" needs no plumbing.
// Run alone: node examples/thread-pool.js
import { Worker, isMainThread, threadId } from "node:worker_threads";
import { Dealer, Router } from "omq";
import { runIfMain } from "./util.js";

if (!isMainThread) {
  // a worker: say "ready", then answer each job with its square
  const dealer = new Dealer({ linger: 0 });
  dealer.connect("inproc://omq-example-jobs");
  await dealer.send(["ready"]);
  for await (const [kind, job] of dealer) {
    if (kind.toString() === "stop") break;
    const n = Number(job);
    await dealer.send(["done", String(n * n), String(threadId)]);
  }
  dealer.close();
}

export async function main(_transport = "inproc", workerCount = 3, jobs = 30) {
  const router = new Router({ linger: 0 });
  await router.bind("inproc://omq-example-jobs");
  const workers = [];
  const exited = [];
  for (let i = 0; i < workerCount; i++) {
    const w = new Worker(new URL(import.meta.url));
    exited.push(new Promise((r) => w.on("exit", r)));
    workers.push(w);
  }

  // load balancing: a job goes to a worker that said it is free
  const free = [];
  const perThread = new Map();
  let sent = 0;
  let answered = 0;
  let sum = 0;
  // (wait for every worker first, so the jobs spread over all of them)
  while (free.length < workerCount) free.push((await router.receive())[0]);
  while (free.length > 0 && sent < jobs) await router.send([free.shift(), "job", String(++sent)]);
  while (answered < jobs) {
    const [id, kind, result, from] = await router.receive();
    if (kind.toString() === "done") {
      answered++;
      sum += Number(result);
      perThread.set(from.toString(), (perThread.get(from.toString()) ?? 0) + 1);
    }
    free.push(id);
    while (free.length > 0 && sent < jobs) await router.send([free.shift(), "job", String(++sent)]);
  }
  // every worker is told to stop, also one that started after the jobs ran out
  let stopped = 0;
  for (const id of free) {
    await router.send([id, "stop", ""]);
    stopped++;
  }
  while (stopped < workerCount) {
    const [id] = await router.receive();
    await router.send([id, "stop", ""]);
    stopped++;
  }
  await Promise.all(exited);
  router.close();
  const spread = [...perThread.values()].join("/");
  console.log(`  thread-pool: ${jobs} jobs over ${workerCount} worker threads (${spread}), sum of squares ${sum}`);
  return sum;
}

if (isMainThread) runIfMain(import.meta.url, main);
