// Multipart messages sent on an XSUB whose parts start with 0x01/0x00, as
// libzmq 4.3.5 handles them (only_first_subscribe off): XSUB applies each such
// part to its own subscriptions and forwards the message; XPUB applies each
// such part as a subscription and hands the application a notification for
// it. So a publisher holds the same subscriptions before and after the XSUB
// reconnects and re-sends what it recorded. libzmq itself is the reference.
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { type AnySocket, type Lib, closeMadeSockets, makeSocket, recv, sleep } from "../helpers.js";

afterEach(closeMadeSockets);

const TOPICS = ["A", "B", "C"];
const text = (m: Buffer[]) => m.map((f) => f.toString("latin1"));
const isOne = (m: Buffer[], s: string) => m.length === 1 && m[0]!.toString("latin1") === s;

/** What the XPUB application receives until `last` (excluded). */
async function receiveUntil(xpub: AnySocket, last: string, what: string): Promise<string[][]> {
  const got: string[][] = [];
  for (;;) {
    const m = await recv(xpub, what, 5000);
    if (isOne(m, last)) return got;
    got.push(text(m));
  }
}

/** The topics of TOPICS the XPUB sends to the XSUB (one connection, so the
 * end marker arrives after every probe that matched). */
async function probe(xpub: AnySocket, xsub: AnySocket): Promise<string[]> {
  for (const t of TOPICS) await xpub.send(`${t}-probe`);
  await xpub.send("Z-end");
  const got: string[] = [];
  for (;;) {
    const m = (await recv(xsub, "probes", 5000))[0]!.toString();
    if (m === "Z-end") return got.sort();
    got.push(m.slice(0, 1));
  }
}

async function bindSoon(s: AnySocket, addr: string): Promise<void> {
  // the port of a socket just closed may take a moment to free (libzmq closes in its I/O thread)
  for (let i = 0; ; i++) {
    try {
      await s.bind(addr);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "EADDRINUSE" || i > 100) throw e;
      await sleep(20);
    }
  }
}

interface Outcome {
  /** What the XPUB application received for the messages sent. */
  notified: string[][];
  /** The XPUB's subscriptions among TOPICS. */
  before: string[];
  /** What a fresh XPUB on the same address received from the reconnecting XSUB. */
  resent: string[];
  after: string[];
}

async function scenario(xsubLib: Lib, xpubLib: Lib, msgs: string[][]): Promise<Outcome> {
  let xpub = makeSocket(xpubLib, "xpub");
  await xpub.bind("tcp://127.0.0.1:*");
  const addr = xpub.lastEndpoint!;
  const xsub = makeSocket(xsubLib, "xsub", { reconnectInterval: 20 });
  xsub.connect(addr);
  // Z: the XPUB has the XSUB (subscriptions made before a peer are re-sent to it)
  await xsub.send("\x01Z");
  expect(text(await recv(xpub, "first subscription", 5000))).toEqual(["\x01Z"]);
  for (const m of msgs) await xsub.send(m);
  await xsub.send("\x01Y");
  const notified = await receiveUntil(xpub, "\x01Y", "notifications");
  const before = await probe(xpub, xsub);

  xpub.close();
  xpub = makeSocket(xpubLib, "xpub");
  await bindSoon(xpub, addr);
  // the XSUB re-sends its whole set on reconnecting; X, sent once Z is back, comes after it.
  // libzmq handles the reconnect (hiccup) only when the socket is used: poll it meanwhile
  const nudge = setInterval(() => void xsub.readable, 10);
  const resent = await receiveUntil(xpub, "\x01Z", "re-sent subscriptions")
    .finally(() => clearInterval(nudge))
    .then((ms) => ms.map((m) => m.join("|")));
  await xsub.send("\x01X");
  resent.push(...(await receiveUntil(xpub, "\x01X", "re-sent subscriptions")).map((m) => m.join("|")));
  const after = await probe(xpub, xsub);
  return { notified, before, resent: resent.filter((r) => r !== "\x01Y").sort(), after };
}

const CASES: Array<{ name: string; msgs: string[][]; want: Outcome }> = [
  {
    name: "[\\x01A, \\x01B]: two subscriptions",
    msgs: [["\x01A", "\x01B"]],
    want: { notified: [["\x01A"], ["\x01B"]], before: ["A", "B"], resent: ["\x01A", "\x01B"], after: ["A", "B"] },
  },
  {
    name: "[\\x01A, payload]: a subscription, then the rest reaches the XPUB application",
    msgs: [["\x01A", "payload"]],
    want: { notified: [["\x01A"], ["payload"]], before: ["A"], resent: ["\x01A"], after: ["A"] },
  },
  {
    name: "[data, \\x01A]: the notification ends the message the application reads",
    msgs: [["data", "\x01A"]],
    want: { notified: [["data", "\x01A"]], before: ["A"], resent: ["\x01A"], after: ["A"] },
  },
  {
    name: "[\\x00A, \\x00C]: the cancel of a topic the XSUB does not hold is dropped",
    msgs: [["\x01A"], ["\x01B"], ["\x00A", "\x00C"]],
    want: { notified: [["\x01A"], ["\x01B"], ["\x00A"]], before: ["B"], resent: ["\x01B"], after: ["B"] },
  },
];

const zmqVersion = zmq.version;

describe(`multipart (un)subscriptions on XSUB, as libzmq ${zmqVersion}`, () => {
  for (const c of CASES) {
    describe(c.name, () => {
      it("omq XSUB -> omq XPUB: the same subscriptions before and after a reconnect", async () => {
        const got = await scenario("omq", "omq", c.msgs);
        expect(got.after, "the XPUB's subscriptions after the reconnect, against before").toEqual(got.before);
        expect(got).toEqual(c.want);
      }, 20_000);

      it("libzmq XSUB -> libzmq XPUB agrees (the reference)", async () => {
        expect(await scenario("zmq", "zmq", c.msgs)).toEqual(c.want);
      }, 20_000);

      it("libzmq XSUB -> omq XPUB agrees", async () => {
        expect(await scenario("zmq", "omq", c.msgs)).toEqual(c.want);
      }, 20_000);

      it("omq XSUB -> libzmq XPUB agrees", async () => {
        expect(await scenario("omq", "zmq", c.msgs)).toEqual(c.want);
      }, 20_000);
    });
  }
});
