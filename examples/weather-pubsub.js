// PUB/SUB: a weather server publishes updates for many zip codes; each client
// subscribes to one zip code prefix and averages what it receives.
// Run alone: node examples/weather-pubsub.js [inproc|tcp|ipc|ws]
import { Publisher, Subscriber } from "omq";
import { endpointFor, runIfMain } from "./util.js";

export async function main(transport = "inproc") {
  const pub = new Publisher({ linger: 0 });
  await pub.bind(endpointFor(transport, "weather"));
  const address = pub.lastEndpoint;

  const zips = ["10001", "94103", "60601"];
  const subs = zips.map((zip) => {
    const sub = new Subscriber({ linger: 0 });
    sub.connect(address);
    sub.subscribe(zip + " ");
    return sub;
  });

  // Subscriptions travel to the publisher asynchronously (the "slow joiner"):
  // publish until every subscriber has heard something, then count exactly.
  const perClient = 20;
  const results = subs.map(async (sub, i) => {
    let sum = 0;
    for (let n = 0; n < perClient; n++) {
      const [update] = await sub.receive();
      const [zip, temp] = update.toString().split(" ");
      if (zip !== zips[i]) throw new Error(`got ${zip}, subscribed to ${zips[i]}`);
      sum += Number(temp);
    }
    return { zip: zips[i], avg: (sum / perClient).toFixed(1) };
  });

  let done = false;
  const all = Promise.all(results).finally(() => (done = true));
  for (let i = 0; !done && i < 1_000_000; i++) {
    const zip = i % 4 === 3 ? "99999" : zips[i % 3]; // 99999: nobody listens
    await pub.send(`${zip} ${(10 + ((i * 7) % 25)).toString()}`);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  const report = await all;
  for (const r of report) console.log(`  weather[${transport}]: zip ${r.zip} average ${r.avg}°C over ${perClient} updates`);
  for (const s of subs) s.close();
  pub.close();
  return report;
}

runIfMain(import.meta.url, main);
