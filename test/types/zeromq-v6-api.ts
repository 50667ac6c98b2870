// A type-level test (#12 item 13): code written against zeromq.js v6's API
// and typings must compile against omq's. `npm run typecheck` compiles it;
// nothing here runs.
import * as zmq from "../../index.js";

export async function portedProgram(): Promise<void> {
  const v: string = zmq.version;
  const caps: boolean[] = [zmq.capability.ipc, zmq.capability.pgm, zmq.capability.tipc, zmq.capability.norm, zmq.capability.curve, zmq.capability.gssapi, zmq.capability.draft];
  const pair: { publicKey: string; secretKey: string } = zmq.curveKeyPair();
  console.log(v, caps, pair.publicKey.length + pair.secretKey.length);

  const ctx = new zmq.Context({ ioThreads: 2, ipv6: false });
  ctx.threadPriority = 2;
  const threads: number = ctx.ioThreads;
  const v6: boolean = ctx.ipv6;
  zmq.context.ioThreads = 3;
  zmq.context.ipv6 = false;
  console.log(threads, v6);

  const dealer = new zmq.Dealer({ context: zmq.context, sendTimeout: 100, probeRouter: true, routingId: "client" });
  const router = new zmq.Router({ mandatory: true });
  const routerType: number = router.type;
  const timeout: number = dealer.sendTimeout;
  const id: string | null = dealer.routingId;
  const c: zmq.Context = dealer.context;
  console.log(routerType, timeout, id, c);

  await dealer.bind("tcp://127.0.0.1:5555");
  await dealer.unbind("tcp://127.0.0.1:5555");
  dealer.connect("tcp://127.0.0.1:5556");
  dealer.disconnect("tcp://127.0.0.1:5556");
  router.connect("tcp://127.0.0.1:5557", { routingId: "peer" });

  for await (const [first, second] of dealer) console.log(first?.length, second?.length);
  const [a, b] = await dealer.receive();
  await dealer.send(a!);
  await dealer.send([a!, b!]);
  await dealer.send([null, Buffer.alloc(2), "text", 42]);
  await dealer.send(null);
  await dealer.send(new Uint8Array(3));
  await dealer.send("text");

  const onBind = (d: zmq.EventOfType<"bind">) => console.log(d.address);
  dealer.events.on("bind", onBind);
  dealer.events.off("bind", onBind);
  dealer.events.on("connect:retry", (d) => console.log(d.interval, d.address));
  dealer.events.on("accept:error", (d) => console.log(d.error.code, d.error.errno, d.address));
  for await (const event of dealer.events) {
    switch (event.type) {
      case "end":
      case "unknown":
        break;
      case "connect:retry":
        console.log(event.interval, event.address);
        break;
      case "accept:error":
      case "bind:error":
      case "close:error":
      case "handshake:error:other":
        console.log(event.error.code, event.error.errno, event.address);
        break;
      default:
        console.log(event.address);
    }
  }

  const generic = new zmq.Socket(8, { linger: 0 });
  generic.setInt32Option(17, 10);
  const lingered: number = generic.getInt32Option(17);
  console.log(lingered);

  const proxy = new zmq.Proxy(new zmq.Router(), new zmq.Dealer());
  await proxy.run();
  proxy.pause();
  proxy.resume();
  proxy.terminate();
  proxy.frontEnd.close();
  proxy.backEnd.close();
  dealer.close();
}
