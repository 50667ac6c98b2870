// ws:// and wss:// in a browser, over the platform's WebSocket: connect
// only (a page cannot listen), and only the bare `ZWS2.0` (a browser refuses
// subprotocol names with '/', so no ZWS2.0/NULL, PLAIN or CURVE: use wss://
// for confidentiality). The same connecter, engine, sessions and patterns
// as on Node; the WebSocket is adapted to the stream the engine expects.
import type { Socket as NetSocket } from "node:net";
import type { Endpoint } from "../../lib/core/endpoint.js";
import { ZmqError, zmqError } from "../../lib/core/errors.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../../lib/core/transport.js";
import { NullMechanism } from "../../lib/zmtp/mechanisms/null.js";
import type { Session } from "../../lib/zmtp/session.js";
import { StreamEngine } from "../../lib/zmtp/stream-engine.js";
import type { CodecFactory } from "../../lib/zmtp/framing.js";
import { ZWS_BARE } from "../../lib/zws/constants.js";
import { zwsMessageCodec } from "../../lib/zws/message-codec.js";
import { type EngineStarter, StreamConnecter, type StreamDialer, type Upgraded, engineOptions } from "../connecter.js";

/** send() reports "full" past this many buffered bytes; 'drain' once below a quarter of it. */
const HIGH_WATER = 1024 * 1024;
/** How often a full WebSocket is checked for drain (it has no event for it). */
const DRAIN_POLL_MS = 5;
const EMPTY = Buffer.alloc(0);

type Listener = (...args: any[]) => void;

/**
 * A browser WebSocket as the byte stream the engine and the connecter use:
 * each 'data' chunk is one whole message, each write() one message. It
 * starts paused (messages are held until the engine resumes it), and as the
 * platform has no receive back-pressure, pause() only holds messages here.
 */
export class WebSocketStream {
  private readonly ws: WebSocket;
  private readonly listeners = new Map<string, Set<Listener>>();
  private paused = true;
  private held: Buffer[] = [];
  private drainTimer: ReturnType<typeof setInterval> | undefined;
  /** The WebSocket closed while messages were held: 'end' once they are read. */
  private endPending = false;
  writableEnded = false;
  destroyed = false;
  readonly remoteAddress = undefined;

  constructor(url: string, protocols: string[]) {
    const ws = (this.ws = new WebSocket(url, protocols));
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.emit("connect");
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === "string") {
        this.emit("error", new ZmqError("EPROTO", "ZWS: a text WebSocket message"));
        this.destroy();
        return;
      }
      const b = Buffer.from(e.data as ArrayBuffer);
      if (this.paused) this.held.push(b);
      else this.emit("data", b);
    };
    ws.onerror = () => this.emit("error", new ZmqError("ECONNRESET", `WebSocket error on ${url}`));
    ws.onclose = () => {
      this.destroyed = true;
      this.stopDrainWatch();
      // as a Node stream: 'end' only after everything received has been read
      if (this.held.length > 0) this.endPending = true;
      else this.ended();
    };
  }

  /** The subprotocol the server agreed to. */
  get protocol(): string {
    return this.ws.protocol;
  }

  on(event: string, fn: Listener): this {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }

  once(event: string, fn: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      fn(...args);
    };
    (wrapped as { inner?: Listener }).inner = fn;
    return this.on(event, wrapped);
  }

  off(event: string, fn: Listener): this {
    const set = this.listeners.get(event);
    if (set === undefined) return this;
    for (const l of set) if (l === fn || (l as { inner?: Listener }).inner === fn) set.delete(l);
    return this;
  }

  private emit(event: string, ...args: unknown[]): void {
    const set = this.listeners.get(event);
    if (set !== undefined) for (const l of [...set]) l(...args);
  }

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.ws.readyState !== WebSocket.OPEN) {
      if (cb !== undefined) queueMicrotask(() => cb(new ZmqError("ECONNRESET", "WebSocket is closed")));
      return false;
    }
    // send() copies the bytes: the caller may reuse them once cb runs
    this.ws.send(chunk);
    if (cb !== undefined) queueMicrotask(() => cb(null));
    if (this.ws.bufferedAmount < HIGH_WATER) return true;
    this.watchDrain();
    return false;
  }

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  private watchDrain(): void {
    if (this.drainTimer !== undefined) return;
    this.drainTimer = setInterval(() => {
      if (this.ws.bufferedAmount >= HIGH_WATER / 4) return;
      this.stopDrainWatch();
      this.emit("drain");
    }, DRAIN_POLL_MS);
  }

  private stopDrainWatch(): void {
    if (this.drainTimer !== undefined) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    while (!this.paused && this.held.length > 0) this.emit("data", this.held.shift()!);
    if (this.endPending && this.held.length === 0) this.ended();
    return this;
  }

  private ended(): void {
    this.endPending = false;
    this.emit("end");
    this.emit("close");
  }

  end(): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.ws.close(1000);
    queueMicrotask(() => this.emit("finish"));
    return this;
  }

  destroy(): this {
    this.writableEnded = true;
    if (this.endPending) {
      this.held = [];
      queueMicrotask(() => this.ended());
    }
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close();
    return this;
  }

  cork(): void {}
  uncork(): void {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
}

/** The engine with the one mechanism a browser has. */
const startBrowserEngine: EngineStarter = (stream: NetSocket, host: TransportHost, session: Session, _reads, codec?: CodecFactory) => {
  const o = host.options;
  const routingId = o.routingId ?? EMPTY;
  const mechanism = new NullMechanism({ socketType: host.socketType, sendsIdentity: host.type.sendsIdentity, routingId });
  const self = { mechanism: mechanism.name, asServer: false, socketType: host.type.number, routingId };
  const engine = new StreamEngine(stream, (codec ?? zwsMessageCodec())(self), engineOptions(host, mechanism, undefined), session);
  session.setEngine(engine);
  return engine;
};

class BrowserWsDialer implements StreamDialer {
  constructor(private readonly url: string) {}

  dial(): NetSocket {
    return new WebSocketStream(this.url, [ZWS_BARE]) as unknown as NetSocket;
  }

  upgrade(s: NetSocket): Promise<Upgraded> {
    const protocol = (s as unknown as WebSocketStream).protocol;
    if (protocol !== ZWS_BARE) {
      return Promise.reject(new ZmqError("EPROTO", `WebSocket: the server chose ${JSON.stringify(protocol)}, not ${ZWS_BARE}`));
    }
    return Promise.resolve({ codec: zwsMessageCodec(), head: EMPTY });
  }
}

export const browserWsTransport: Transport = {
  schemes: ["ws", "wss"],

  bind(ep: Endpoint): Promise<Binding> {
    return Promise.reject(zmqError("EPROTONOSUPPORT", "a browser cannot listen: ws:// and wss:// connect only", ep.address));
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "ws" && ep.transport !== "wss") throw zmqError("EINVAL");
    if (ep.port === "*") throw zmqError("EINVAL", "connect needs an explicit port", ep.address);
    const o = host.options;
    if (o.mechanism !== "null" || (o.zapDomain ?? "") !== "") {
      throw zmqError("ENOTSUP", "a browser speaks only the mechanism-less ZWS2.0: no PLAIN, CURVE or ZAP (use wss:// for confidentiality)", ep.address);
    }
    return new StreamConnecter(new BrowserWsDialer(ep.address), ep.address, host, opts, startBrowserEngine);
  },
};
