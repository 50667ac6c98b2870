// The transports spec suites run over: each suite body takes its addresses and
// its barriers (connected, disconnected, subscribed, refused) from a
// TestTransport, so the same body runs over inproc, tcp and ipc.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { Observer, type Event, type EventType, type Socket, capability } from "../../index.js";
import { uniqueInproc } from "./sockets.js";
import { settled, until } from "./waits.js";

/** How long connected()/disconnected()/subscribed() wait before failing with
 * a message saying what was missing (below T, so that message is what shows). */
const BARRIER_MS = 4000;

// --- event recorder -------------------------------------------------------
// Counts every socket's `handshake` and `disconnect` events from the moment
// the socket exists, so a barrier never misses one that fired before it was
// called. It wraps Observer.emit instead of calling events.on(): on() would
// switch the Observer to emitter mode and take events.receive() away from the
// test itself.

interface Tally {
  counts: Map<EventType, number>;
  waiters: Set<() => void>;
}
const tallies = new WeakMap<Observer, Tally>();
const PATCHED = Symbol.for("omq.test.recorder");

function tallyOf(o: Observer): Tally {
  let t = tallies.get(o);
  if (t === undefined) tallies.set(o, (t = { counts: new Map(), waiters: new Set() }));
  return t;
}

const proto = Observer.prototype as unknown as Record<symbol, boolean> & { emit(e: Event): void };
if (!proto[PATCHED]) {
  proto[PATCHED] = true;
  const emit = proto.emit;
  proto.emit = function (this: Observer, e: Event): void {
    const t = tallyOf(this);
    t.counts.set(e.type, (t.counts.get(e.type) ?? 0) + 1);
    emit.call(this, e);
    for (const w of [...t.waiters]) w();
  };
}

/** Resolves once the socket has emitted `n` events of the given type(s)
 * since its creation; rejects after BARRIER_MS naming what was missing. */
export function eventsSeen(sock: Socket, type: EventType | readonly EventType[], n: number): Promise<void> {
  const t = tallyOf(sock.events);
  const types: readonly EventType[] = typeof type === "string" ? [type] : type;
  const have = () => types.reduce((sum, k) => sum + (t.counts.get(k) ?? 0), 0);
  if (have() >= n) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (have() < n) return;
      t.waiters.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      t.waiters.delete(check);
      reject(new Error(`expected ${n} "${types.join('" or "')}" events, saw ${have()} within ${BARRIER_MS} ms`));
    }, BARRIER_MS);
    t.waiters.add(check);
  });
}

// --- transports -----------------------------------------------------------

export interface TestTransport {
  readonly name: string;
  /** A fresh address to bind (inproc: a unique name; tcp: port `*`; ipc: a
   * path in a fresh temp dir). */
  address(): string;
  /** Bind `sock` to a fresh address and return the address peers connect to. */
  bind(sock: Socket): Promise<string>;
  /** Resolve once `sock` has completed `n` handshakes since it was created
   * (inproc's connect() attaches at once, so it resolves at once; stream
   * transports count `handshake` events). */
  connected(sock: Socket, n: number): Promise<void>;
  /** Resolve once `sock` has noticed that `n` peers went away since it was
   * created (inproc reports a peer's close through microtasks; stream
   * transports count `disconnect` events). */
  disconnected(sock: Socket, n: number): Promise<void>;
  /** Resolve once the publisher(s) hold, each for one of its peers, exactly
   * the topics each of these SUB/XSUB sockets holds (inproc applies them
   * synchronously; over a network the publishers' tries are polled: ZMTP
   * acknowledges nothing). */
  subscribed(pubs: Socket | Socket[], ...subs: Socket[]): Promise<void>;
  /** Resolve once `sock` has refused `n` connection attempts since it was
   * created, e.g. of an incompatible socket type (inproc refuses inside
   * connect(), so it resolves at once; stream transports count
   * `handshake:error:*` events: whichever side rejects first, the other sees
   * the connection end before its handshake completed). */
  refused(sock: Socket, n: number): Promise<void>;
  /** How long a test waits to conclude that nothing (more) arrives (ms).
   * inproc delivers synchronously, so 0 is exact there; over a network it is
   * a heuristic, so tests first collect what must arrive, then use it only to
   * check that nothing else does. */
  readonly quietMs: number;
}

export const inprocTransport: TestTransport = {
  name: "inproc",
  address: () => uniqueInproc(),
  async bind(sock) {
    await sock.bind(uniqueInproc());
    return sock.lastEndpoint!;
  },
  connected: async () => {},
  disconnected: () => settled(),
  subscribed: (pubs, ...subs) => until(() => subscriptionsApplied(pubs, subs), BARRIER_MS, "subscriptions applied"),
  refused: async () => {},
  quietMs: 0,
};

const HANDSHAKE_ERRORS = ["handshake:error:protocol", "handshake:error:auth", "handshake:error:other"] as const;

/** A topic set as one comparable string. */
function topicKey(topics: Buffer[]): string {
  return topics.map((t) => "t" + t.toString("hex")).sort().join(",");
}

/** Each sub's topics (its own trie) are held, exactly, by one distinct peer
 * pipe of every publisher (XPUB's trie; the requested topics with manual). */
function subscriptionsApplied(pubs: Socket | Socket[], subs: Socket[]): boolean {
  interface PubPattern { pipes: Iterable<{ closed: boolean; peerClosed: boolean }>; subs: unknown; requested: unknown }
  type Each = { each(fn: (topic: Buffer, pipes: Set<unknown>) => void): void };
  const want = subs.map((s) => topicKey((s as unknown as { _pattern: { subs: { topics(): Buffer[] } } })._pattern.subs.topics()));
  for (const pub of Array.isArray(pubs) ? pubs : [pubs]) {
    const pat = (pub as unknown as { _pattern: PubPattern })._pattern;
    const trie = ((pub as unknown as { manual?: boolean }).manual ? pat.requested : pat.subs) as Each;
    const per = new Map<unknown, Buffer[]>();
    for (const p of pat.pipes) if (!p.closed && !p.peerClosed) per.set(p, []); // a peer gone holds nothing
    trie.each((topic, pipes) => {
      for (const p of pipes) per.get(p)?.push(Buffer.from(topic));
    });
    const have = [...per.values()].map(topicKey);
    for (const w of want) {
      const i = have.indexOf(w);
      if (i < 0) return false;
      have.splice(i, 1);
    }
  }
  return true;
}

function streamTransport(name: string, address: () => string): TestTransport {
  return {
    name,
    address,
    async bind(sock) {
      await sock.bind(address());
      return sock.lastEndpoint!;
    },
    connected: (sock, n) => eventsSeen(sock, "handshake", n),
    disconnected: (sock, n) => eventsSeen(sock, "disconnect", n),
    subscribed: (pubs, ...subs) => until(() => subscriptionsApplied(pubs, subs), BARRIER_MS, "subscriptions applied"),
    refused: (sock, n) => eventsSeen(sock, HANDSHAKE_ERRORS, n),
    quietMs: 100,
  };
}

export const tcpTransport = streamTransport("tcp", () => "tcp://127.0.0.1:*");

/** A fresh temporary directory and its remover. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let ipcDir: ReturnType<typeof tempDir> | undefined;
let ipcCounter = 0;
/** A fresh path in a temp dir made for the test file that asks for one; the
 * dir goes when the file's tests are done (closed sockets remove their files). */
function ipcAddress(): string {
  ipcDir ??= tempDir("omq-spec-");
  return `ipc://${join(ipcDir.dir, `${++ipcCounter}.sock`)}`;
}
// registered on the importing test file (vitest runs each file in a fresh module graph)
afterAll(() => {
  ipcDir?.remove();
  ipcDir = undefined;
});

export const ipcTransport = streamTransport("ipc", ipcAddress);

if (!capability.ipc) console.warn("spec suites: this host has no ipc transport (capability.ipc is false); ipc runs are left out");

/** ZWS 2.0 with a mechanism (ZWS2.0/NULL), each bind on a port of its own. */
export const wsTransport = streamTransport("ws", () => "ws://127.0.0.1:*/spec");

/** The transports the spec suites run over. */
export const transports: readonly TestTransport[] = [inprocTransport, tcpTransport, ...(capability.ipc ? [ipcTransport] : []), wsTransport];
