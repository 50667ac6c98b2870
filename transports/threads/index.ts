// inproc between worker threads. Every thread that loads omq shares the
// default context's name registry (a SharedArrayBuffer handed down to new
// workers as environment data); a custom context is shared by passing
// ctx.share() to a worker. A connect to a name another thread bound creates
// the pipe memory and a MessageChannel and moves one port there with
// worker_threads.postMessageToThread; the port's 'close' is the pipe's
// liveness signal. Needs postMessageToThread (Node 20.20+, 22.5+): without it
// inproc stays within each thread.
import { randomUUID } from "node:crypto";
import * as wt from "node:worker_threads";
import { holdAlive, releaseAlive } from "../../lib/api/keepalive.js";
import {
  context, setContextSharing, type InprocEntry, type InprocRemote, type SharedContext,
} from "../../lib/core/context.js";
import { zmqError } from "../../lib/core/errors.js";
import type { PeerInfo } from "../../lib/core/pipe.js";
import { socketTypesCompatible } from "../../lib/core/socket-type.js";
import type { ConnectOptions, Connection, TransportHost } from "../../lib/core/transport.js";
import { boundHost, connectPending, peerOf, takePending, type Pending } from "../inproc.js";
import { Bridge } from "./bridge.js";
import { createRegistryMemory, SharedRegistry, type BoundName } from "./registry.js";
import { createPipeMemory, R_HWM, W_HWM } from "./ring.js";
import { ThreadPipeEnd } from "./thread-pipe.js";

const PROTOCOL = "omq-inproc/1";
const DEFAULT_KEY = "omq:default-context";
/** This copy of omq in this thread (two copies in one thread do not meet). */
const INSTANCE = randomUUID();

type PostToThread = (threadId: number, value: unknown, transfer?: readonly unknown[]) => Promise<void>;
const postMessageToThread = (wt as unknown as { postMessageToThread?: PostToThread }).postMessageToThread;

interface WirePeer {
  ty: string;
  rid?: string;
  crid?: string;
}

type ThreadMessage =
  | { omq: typeof PROTOCOL; to: string; op: "connect"; ctx: string; name: string; b: number; sab: SharedArrayBuffer; port: wt.MessagePort; peer: WirePeer }
  | { omq: typeof PROTOCOL; to: string; op: "bound"; ctx: string; name: string; holder: BoundName }
  | { omq: typeof PROTOCOL; to: string; op: "ping" };

/** Send to another thread's omq; false if that thread (or its omq) is gone. */
async function send(t: number, msg: ThreadMessage, transfer: unknown[] = []): Promise<boolean> {
  holdAlive(); // a pending postMessageToThread does not keep a thread alive
  try {
    await postMessageToThread!(t, msg, transfer);
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_WORKER_MESSAGING_FAILED") return false;
    throw e;
  } finally {
    releaseAlive();
  }
}

const hex = (b: Buffer | undefined): string | undefined => (b === undefined ? undefined : b.toString("hex"));
const unhex = (s: string | undefined): Buffer | undefined => (s === undefined ? undefined : Buffer.from(s, "hex"));
const isMine = (h: { t: number; i: string }): boolean => h.t === wt.threadId && h.i === INSTANCE;

/** One shared context as this thread sees it. */
class SharedInproc implements InprocRemote {
  private readonly registry: SharedRegistry;
  private serials = 0;

  constructor(
    readonly id: string,
    sab: SharedArrayBuffer,
    private readonly local: Map<string, InprocEntry>,
  ) {
    this.registry = new SharedRegistry(sab);
  }

  async ensureFree(name: string): Promise<void> {
    for (let tries = 0; tries < 4; tries++) {
      const holder = this.registry.update((t) => ({ result: t[name]?.bound, changed: false }));
      if (holder === undefined || isMine(holder)) return;
      if (holder.t === wt.threadId) throw zmqError("EADDRINUSE", "bound by another copy of omq in this thread", `inproc://${name}`);
      if (await send(holder.t, { omq: PROTOCOL, to: holder.i, op: "ping" })) {
        throw zmqError("EADDRINUSE", undefined, `inproc://${name}`);
      }
      this.forget(name, holder); // that thread is gone: its names are free
    }
  }

  claim(name: string, host: TransportHost): number {
    const serial = ++this.serials;
    const holder: BoundName = {
      t: wt.threadId, i: INSTANCE, b: serial, ty: host.socketType,
      snd: host.type.canSend ? host.options.sendHighWaterMark : 0,
      rcv: host.type.canReceive ? host.options.receiveHighWaterMark : 0,
    };
    const rid = hex(host.options.routingId);
    if (rid !== undefined) holder.rid = rid;
    const waiters = this.registry.update((t) => {
      const e = (t[name] ??= {});
      if (e.bound !== undefined && !isMine(e.bound)) throw zmqError("EADDRINUSE", undefined, `inproc://${name}`);
      e.bound = holder;
      const w = e.pending ?? [];
      delete e.pending;
      return { result: w, changed: true };
    });
    for (const w of waiters) {
      if (w.t === wt.threadId) continue; // this thread's waiting connects join in inproc.ts
      void send(w.t, { omq: PROTOCOL, to: w.i, op: "bound", ctx: this.id, name, holder });
    }
    return serial;
  }

  release(name: string, serial: number): void {
    this.registry.update((t) => {
      const e = t[name];
      if (e?.bound === undefined || !isMine(e.bound) || e.bound.b !== serial) return { result: undefined, changed: false };
      delete e.bound;
      return { result: undefined, changed: true };
    });
  }

  connect(name: string, address: string, host: TransportHost, opts: ConnectOptions): Connection | undefined {
    const holder = this.registry.update((t) => {
      const e = (t[name] ??= {});
      if (e.bound !== undefined && !isMine(e.bound) && e.bound.t !== wt.threadId) return { result: e.bound, changed: false };
      const p = (e.pending ??= []);
      if (p.some(isMine)) return { result: undefined, changed: false };
      p.push({ t: wt.threadId, i: INSTANCE });
      return { result: undefined, changed: true };
    });
    if (holder === undefined) return undefined;
    if (!socketTypesCompatible(host.socketType, holder.ty)) return { close() {} };
    let current: Connection = { close() {} };
    let closed = false;
    const peer = holderPeer(holder, address, opts.routingId);
    const end = this.open(name, holder, host, peer, peerOf(host, address, false), (ok) => {
      if (ok || closed) return;
      // that thread is gone: wait for the next binder instead
      this.forget(name, holder);
      end.close();
      if (this.connect(name, address, host, opts) === undefined) current = connectPending(name, address, host, opts);
    });
    host.attachPipe(end);
    current = { close: () => end.close() };
    return {
      close: () => {
        closed = true;
        current.close();
      },
    };
  }

  unwait(name: string): void {
    this.registry.update((t) => {
      const p = t[name]?.pending;
      const i = p?.findIndex(isMine) ?? -1;
      if (i < 0) return { result: undefined, changed: false };
      p!.splice(i, 1);
      return { result: undefined, changed: true };
    });
  }

  /** A thread pipe to `holder`; `sent` learns whether its thread took it. */
  open(name: string, holder: BoundName, host: TransportHost, peer: PeerInfo, me: PeerInfo, sent: (ok: boolean) => void): ThreadPipeEnd {
    const sab = createPipeMemory();
    // the binder's HWMs until its end states them
    const i32 = new Int32Array(sab, 0, 32);
    i32[0 + R_HWM] = holder.rcv;
    i32[8 + W_HWM] = holder.snd;
    const { port1, port2 } = new wt.MessageChannel();
    const end = new ThreadPipeEnd(sab, 0, port1, peer, true, () => host.options.linger);
    const wire: WirePeer = { ty: me.socketType ?? "" };
    const rid = hex(me.routingId);
    if (rid !== undefined) wire.rid = rid;
    const crid = hex(peer.connectRoutingId);
    if (crid !== undefined) wire.crid = crid;
    send(holder.t, { omq: PROTOCOL, to: holder.i, op: "connect", ctx: this.id, name, b: holder.b, sab, port: port2, peer: wire }, [port2])
      .then(sent, () => sent(false));
    return end;
  }

  /** Remove a holder that no longer answers (its thread ended). */
  private forget(name: string, holder: BoundName): void {
    this.registry.update((t) => {
      const b = t[name]?.bound;
      if (b === undefined || b.t !== holder.t || b.i !== holder.i || b.b !== holder.b) return { result: undefined, changed: false };
      delete t[name]!.bound;
      return { result: undefined, changed: true };
    });
  }

  // --- messages from other threads --------------------------------------------

  /** A socket of another thread connects to our `name`. */
  accept(m: Extract<ThreadMessage, { op: "connect" }>): void {
    const host = boundHost(this.local, m.name, m.b);
    if (host === undefined || !socketTypesCompatible(m.peer.ty, host.socketType)) {
      m.port.close();
      return;
    }
    const peer: PeerInfo = { socketType: m.peer.ty, endpoint: `inproc://${m.name}`, locallyInitiated: false };
    const rid = unhex(m.peer.rid);
    if (rid !== undefined) peer.routingId = rid;
    host.attachPipe(new ThreadPipeEnd(m.sab, 1, m.port, peer, true, () => host.options.linger));
  }

  /** Another thread bound a name our connects wait for: bridge each to it. */
  bound(m: Extract<ThreadMessage, { op: "bound" }>): void {
    for (const p of takePending(this.local, m.name)) this.bridge(m.name, m.holder, p);
  }

  private bridge(name: string, holder: BoundName, p: Pending): void {
    const address = p.local.peer.endpoint;
    if (!socketTypesCompatible(p.host.socketType, holder.ty)) {
      p.local.close();
      return;
    }
    const peer = holderPeer(holder, address, p.local.peer.connectRoutingId);
    const end = this.open(name, holder, p.host, peer, peerOf(p.host, address, false), () => {});
    end.setHwms(undefined, undefined);
    p.remote.ready = true;
    new Bridge(p.remote, end);
    p.local.announce(peer);
  }
}

function holderPeer(holder: BoundName, address: string, connectRoutingId: Buffer | undefined): PeerInfo {
  const peer: PeerInfo = { socketType: holder.ty, endpoint: address, locallyInitiated: true };
  const rid = unhex(holder.rid);
  if (rid !== undefined) peer.routingId = rid;
  if (connectRoutingId !== undefined) peer.connectRoutingId = connectRoutingId;
  return peer;
}

const shared = new Map<string, SharedInproc>();
let contexts = 0;

function onMessage(value: unknown): void {
  const m = value as ThreadMessage;
  if (typeof m !== "object" || m === null || m.omq !== PROTOCOL || m.to !== INSTANCE) return;
  if (m.op === "ping") return;
  const s = shared.get(m.ctx);
  if (m.op === "connect") {
    if (s === undefined) m.port.close();
    else s.accept(m);
  } else if (m.op === "bound") s?.bound(m);
}

/** Share the default context with every thread and allow ctx.share(). */
export function installThreads(): void {
  if (typeof postMessageToThread !== "function") return;
  setContextSharing({
    create: () => ({ omqSharedContext: `${wt.threadId}.${INSTANCE}.${++contexts}`, registry: createRegistryMemory() }),
    remote: (h: SharedContext, local: Map<string, InprocEntry>) => {
      let s = shared.get(h.omqSharedContext);
      if (s === undefined) shared.set(h.omqSharedContext, (s = new SharedInproc(h.omqSharedContext, h.registry, local)));
      return s;
    },
  });
  process.on("workerMessage", onMessage);
  let h = wt.getEnvironmentData(DEFAULT_KEY) as SharedContext | undefined;
  if (h === undefined || !(h.registry instanceof SharedArrayBuffer)) {
    h = { omqSharedContext: "default", registry: createRegistryMemory() };
    // workers started from now on (and theirs) inherit it
    wt.setEnvironmentData(DEFAULT_KEY, h as unknown as wt.Serializable);
  }
  context.adopt(h);
}

