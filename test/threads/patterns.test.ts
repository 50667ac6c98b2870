// Every compatible socket pair across threads, in both bind orders: main ↔
// worker (the binder in either thread) and worker ↔ worker. Each side runs the
// same script body whichever thread it is in (test/threads/actors.ts).
import { afterAll, describe, expect, it } from "vitest";
import { actor, mainSide, stopAll, uniqueName, type Actor } from "./actors.js";

const T = 30_000;

// the dance of each side: `s` is the socket; return what the test checks.
// `next()` resolves when the other side has finished (for senders that repeat).
const PUB = `let done = false; next().then(() => (done = true));
  for (let i = 0; i < 4000 && !done; i++) { await s.send(["u", "no"]); await s.send(["t", "hello"]); await new Promise((r) => setTimeout(r, 2)); }
  return "published";`;
const SUB = `s.subscribe("t"); return (await s.receive()).map(String);`;
const XSUB = `await s.send(Buffer.from([1, 0x74])); return (await s.receive()).map(String);`;
const XPUB = `const sub = await s.receive(); let done = false; next().then(() => (done = true));
  for (let i = 0; i < 4000 && !done; i++) { await s.send(["u", "no"]); await s.send(["t", "hello"]); await new Promise((r) => setTimeout(r, 2)); }
  return [sub[0].toString("hex")];`;
const REP = `const m = await s.receive(); await s.send(["re:" + m[0], ...m.slice(1)]); return m.map(String);`;
const REQ = `await s.send(["q", "2"]); return (await s.receive()).map(String);`;
const ROUTER_REQ = `const [id, e, ...m] = await s.receive(); await s.send([id, e, "re:" + m[0]]); return m.map(String);`;
const ROUTER = `const [id, ...m] = await s.receive(); await s.send([id, "re:" + m[0]]); return [String(id), ...m.map(String)];`;
const ECHO = `const m = await s.receive(); await s.send(["re:" + m[0], ...m.slice(1)]); return m.map(String);`;
const ASK = `await s.send(["q", "2"]); return (await s.receive()).map(String);`;

interface PairCase {
  name: string;
  binder: { type: string; opts?: object; script: string; expect: unknown };
  connecter: { type: string; opts?: object; script: string; expect: unknown };
}

const CASES: PairCase[] = [
  { name: "PUSH → PULL", binder: { type: "Push", script: `for (let i = 0; i < 3; i++) await s.send(["m" + i, "x"]); return "sent";`, expect: "sent" },
    connecter: { type: "Pull", script: `const g = []; for (let i = 0; i < 3; i++) g.push((await s.receive()).map(String)); return g;`, expect: [["m0", "x"], ["m1", "x"], ["m2", "x"]] } },
  { name: "PULL ← PUSH", binder: { type: "Pull", script: `const g = []; for (let i = 0; i < 3; i++) g.push((await s.receive()).map(String)); return g;`, expect: [["m0", "x"], ["m1", "x"], ["m2", "x"]] },
    connecter: { type: "Push", script: `for (let i = 0; i < 3; i++) await s.send(["m" + i, "x"]); return "sent";`, expect: "sent" } },
  { name: "PAIR ↔ PAIR", binder: { type: "Pair", script: ECHO, expect: ["q", "2"] }, connecter: { type: "Pair", script: ASK, expect: ["re:q", "2"] } },
  { name: "REP ↔ REQ", binder: { type: "Reply", script: REP, expect: ["q", "2"] }, connecter: { type: "Request", script: REQ, expect: ["re:q", "2"] } },
  { name: "REQ ↔ REP (REQ binds)", binder: { type: "Request", script: REQ, expect: ["re:q", "2"] }, connecter: { type: "Reply", script: REP, expect: ["q", "2"] } },
  { name: "ROUTER ↔ REQ", binder: { type: "Router", script: ROUTER_REQ, expect: ["q", "2"] }, connecter: { type: "Request", script: REQ, expect: ["re:q"] } },
  { name: "REP ↔ DEALER", binder: { type: "Reply", script: REP, expect: ["q"] },
    connecter: { type: "Dealer", script: `await s.send(["", "q"]); return (await s.receive()).map(String);`, expect: ["", "re:q"] } },
  { name: "ROUTER ↔ DEALER (routing id)", binder: { type: "Router", script: ROUTER, expect: ["D1", "q", "2"] },
    connecter: { type: "Dealer", opts: { routingId: "D1" }, script: ASK, expect: ["re:q"] } },
  { name: "DEALER ↔ DEALER", binder: { type: "Dealer", script: ECHO, expect: ["q", "2"] }, connecter: { type: "Dealer", script: ASK, expect: ["re:q", "2"] } },
  // the connecting ROUTER can only address "B" once it knows the peer (a bind that came later)
  { name: "ROUTER ↔ ROUTER", binder: { type: "Router", opts: { routingId: "B" }, script: ROUTER, expect: ["C", "q"] },
    connecter: { type: "Router", opts: { routingId: "C", mandatory: true },
      script: `for (let i = 0; ; i++) { try { await s.send(["B", "q"]); break; } catch (e) { if (e.code !== "EHOSTUNREACH" || i > 500) throw e; await new Promise((r) => setTimeout(r, 10)); } }
        return (await s.receive()).map(String);`, expect: ["B", "re:q"] } },
  { name: "PUB → SUB", binder: { type: "Publisher", script: PUB, expect: "published" }, connecter: { type: "Subscriber", script: SUB, expect: ["t", "hello"] } },
  { name: "SUB ← PUB (SUB binds)", binder: { type: "Subscriber", script: SUB, expect: ["t", "hello"] }, connecter: { type: "Publisher", script: PUB, expect: "published" } },
  { name: "PUB → XSUB", binder: { type: "Publisher", script: PUB, expect: "published" }, connecter: { type: "XSubscriber", script: XSUB, expect: ["t", "hello"] } },
  { name: "XPUB → SUB", binder: { type: "XPublisher", script: XPUB, expect: ["0174"] }, connecter: { type: "Subscriber", script: SUB, expect: ["t", "hello"] } },
  { name: "XPUB → XSUB", binder: { type: "XPublisher", script: XPUB, expect: ["0174"] }, connecter: { type: "XSubscriber", script: XSUB, expect: ["t", "hello"] } },
];

/** The script of one side: make the socket, bind or connect when told, dance. */
function sideScript(type: string, opts: object | undefined, bind: boolean, dance: string): string {
  return `const s = new omq.${type}(${JSON.stringify(opts ?? {})});
    await next(); // go
    ${bind ? "await s.bind(data.addr);" : "s.connect(data.addr);"}
    post("ready");
    const result = await (async () => { ${dance} })();
    post({ result });
    await next(); // both done
    s.close();`;
}

type Place = "main" | "worker";
function start(place: Place, body: string, data: unknown): Actor {
  return place === "main" ? mainSide(body, data) : actor(body, data);
}

async function runPair(c: PairCase, binderAt: Place, connecterAt: Place, bindFirst: boolean): Promise<void> {
  const addr = uniqueName("pair");
  const b = start(binderAt, sideScript(c.binder.type, c.binder.opts, true, c.binder.script), { addr });
  const k = start(connecterAt, sideScript(c.connecter.type, c.connecter.opts, false, c.connecter.script), { addr });
  const [first, second] = bindFirst ? [b, k] : [k, b];
  first.send("go");
  expect(await first.next()).toBe("ready");
  second.send("go");
  expect(await second.next()).toBe("ready");
  // whichever finishes first tells the other (senders that repeat stop then)
  const results = await new Promise<[unknown, unknown]>((resolve) => {
    const got: [unknown, unknown] = [undefined, undefined];
    let n = 0;
    const take = (i: 0 | 1, other: Actor) => (v: { result: unknown }) => {
      got[i] = v.result;
      other.send("peer done");
      if (++n === 2) resolve(got);
    };
    b.next().then(take(0, k));
    k.next().then(take(1, b));
  });
  expect(results[0]).toEqual(c.binder.expect);
  expect(results[1]).toEqual(c.connecter.expect);
  b.send("close");
  k.send("close");
  await Promise.all([b.exited, k.exited]);
}

afterAll(stopAll);

describe("socket pairs between the main thread and a worker", () => {
  for (const c of CASES) {
    it(`${c.name}: bound in the main thread, connected from a worker, bind first`, () => runPair(c, "main", "worker", true), T);
    it(`${c.name}: bound in a worker, connected from the main thread, connect first`, () => runPair(c, "worker", "main", false), T);
  }
});

describe("socket pairs between two workers", () => {
  for (const c of CASES.filter((x) => ["PUSH → PULL", "ROUTER ↔ DEALER (routing id)", "XPUB → SUB", "REP ↔ REQ"].includes(x.name))) {
    it(`${c.name}: bind first`, () => runPair(c, "worker", "worker", true), T);
    it(`${c.name}: connect first`, () => runPair(c, "worker", "worker", false), T);
  }
});
