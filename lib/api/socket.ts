// The Socket base: promises, the FIFOs of waiting callers, timeouts, options,
// endpoints and events. Everything type-specific lives in the Pattern; every
// transport detail behind the Transport interface.
import { type Context, context as defaultContext } from "../core/context.js";
// the numeric option accessors' types augment Socket there
import "./numeric-options.js";
import type { Endpoint } from "../core/endpoint.js";
import { fromSystemError, zmqError } from "../core/errors.js";
import { ioTurn } from "../core/io-turn.js";
import { checkScheme, transportFor } from "./address-checks.js";
import { CHECK_EVERY, RECEIVE_TURN_MS, SEND_TURN_MS, afterTurn, turnDue, yieldEvery } from "./loop-turn.js";
import { BusyPoller } from "./busy-poll.js";
import { NOT_YET, WaitQueue } from "./wait-queue.js";
import { type MessageLike, type Msg, toFrames } from "../core/message.js";
import type { EventRecord as Event } from "../core/events.js";
import { Observer } from "./observer.js";
import { type OptionValues, applySecurityOption, appliesAtOnce, defaultValues, securityReadback, normalizeOption, optionNamesFor, publicValue } from "../core/options.js";
import { preloadCurve } from "./capability.js";
import type { PipeEnd } from "../core/pipe.js";
import { type SocketTypeDescriptor, type SocketTypeName, findSocketType, findSocketTypeByNumber } from "../core/socket-type.js";
import type { Pattern, PatternHost, SendResult } from "../core/pattern.js";
import {
  type Binding,
  type Connection,
  type ConnectOptions,
  type Transport,
  type TransportHost,
} from "../core/transport.js";

const RESOLVED: Promise<void> = Promise.resolve();

/** The generic socket (zeromq.js `new Socket(type, options)`, type a libzmq number); the typed classes are subclasses. */
export class Socket {
  /** The Context this socket belongs to. */
  readonly context: Context;
  /** libzmq's socket type number (as zeromq.js). */
  readonly type: number;
  /** @internal */ readonly _info: SocketTypeDescriptor;
  /** @internal */ readonly _opts: OptionValues;
  /** @internal */ readonly _pattern: Pattern;
  private readonly observer = new Observer();
  private readonly pipes = new Set<PipeEnd>();
  private readonly bindings = new Map<string, Binding>();
  private readonly connections = new Map<string, Connection[]>();
  private readonly poller = new BusyPoller();
  /** bind() calls not settled yet, and a close() that waits for them. */
  private bindsPending = 0;
  private closeDeferred = false;
  /** Sends that met a full pipe (types that wait at the HWM), in call order. */
  private readonly sendWaiters = new WaitQueue<Msg, void>(
    (msg) => (this.sendToPattern(msg) === "blocked" ? NOT_YET : undefined),
    this.poller,
    true,
    (msg) => this._pattern.sendTimeoutError?.(msg),
  );
  /** Receives that found nothing, in call order. */
  private readonly recvWaiters = new WaitQueue<undefined, Msg>(() => this.receiveFromPattern() ?? NOT_YET, this.poller, false);
  private isClosed = false;
  private sendsSinceYield = 0;
  /** @internal Calls completed at once since this socket last looked at the clock (loop-turn.ts). */
  _syncOps = 0;
  private lastEndpointValue: string | null = null;
  /** @internal what transports see */
  readonly _host: TransportHost;

  constructor(type: SocketTypeName | number, options: Record<string, unknown> = {}) {
    // zeromq.js's argument checks, with its texts
    if (arguments.length > 2) throw new TypeError(`Expected 2 arguments but received ${arguments.length}`);
    if (options === null || typeof options !== "object") throw new TypeError("Options must be an object");
    let info: SocketTypeDescriptor | undefined;
    if (typeof type === "number") {
      // libzmq's numbers (ZMQ_PAIR 0 ... ZMQ_XSUB 10); others, drafts included, are not built here
      info = findSocketTypeByNumber(type);
      if (info === undefined) throw zmqError("EINVAL");
    } else if (typeof type === "string") info = findSocketType(type);
    if (info === undefined) throw new TypeError("Socket type must be a number");
    const typeName = info.name;
    this._info = info;
    this.type = info.number;
    const ctx = (options.context as Context | undefined) ?? defaultContext;
    this.context = ctx;
    if (ctx.sockets >= ctx.maxSockets) throw zmqError("EMFILE", "Too many open sockets (context.maxSockets)");
    this._opts = defaultValues();
    if (info.defaultLinger !== undefined) this._opts.linger = info.defaultLinger;
    if (!ctx.blocky) this._opts.linger = 0;
    if (ctx.ipv6) this._opts.ipv6 = true;
    const allowed = new Set(optionNamesFor(info));
    for (const [k, v] of Object.entries(options)) {
      if (k === "context") continue;
      if (!allowed.has(k)) throw new TypeError(`Cannot add property ${k}, object is not extensible (${typeName} sockets have no option ${k})`);
      this.storeOption(k, v);
    }
    const self = this;
    this.sendWaiters.clock = this.recvWaiters.clock = ctx.clock;
    const patternHost: PatternHost = {
      options: this._opts,
      random: ctx.clock.random,
      readable: () => this.recvWaiters.flush(),
      writable: () => this.sendWaiters.flush(),
      dropped: (msg, reason) => ctx.tap?.dropped(this, msg, reason),
    };
    this._pattern = info.createPattern(patternHost);
    this._host = {
      context: ctx,
      socketType: info.zmtp,
      type: info,
      options: this._opts,
      get closed() {
        return self.isClosed;
      },
      attachPipe: (end) => this.attachPipe(end),
      emit: (e) => this.observer.emit(e),
    };
    ctx.sockets++;
    ctx.tap?.opened(this);
  }

  /** An Observer of this socket's connection events. */
  get events(): Observer {
    return this.observer;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether receive() would resolve at once (ZMQ_POLLIN). */
  get readable(): boolean {
    return !this.isClosed && this._info.canReceive && this._pattern.hasIn();
  }

  /** Whether send() would queue at once (ZMQ_POLLOUT). */
  get writable(): boolean {
    return !this.isClosed && this._info.canSend && this._pattern.hasOut();
  }

  /** The resolved address of the last bind. */
  get lastEndpoint(): string | null {
    return this.lastEndpointValue;
  }

  /** ZMQ_MECHANISM: what the security options chose (the last one set wins, as libzmq). */
  get securityMechanism(): "plain" | "curve" | null {
    const m = this._opts.mechanism;
    return m === "null" ? null : m;
  }

  private assertOpen(): void {
    if (this.isClosed) throw zmqError("EBADF");
  }

  bind(address: string): Promise<void> {
    this.assertOpen();
    let ep: Endpoint;
    let transport: Transport;
    try {
      ({ ep, transport } = transportFor(address, this._info));
    } catch (e) {
      return Promise.reject(e);
    }
    this.bindsPending++;
    return transport.bind(ep, this._host).then(
      (b) => {
        this.bindsPending--;
        if (this.isClosed) {
          b.close();
          throw zmqError("EBADF");
        }
        this.bindings.set(address, b);
        if (b.address !== address) this.bindings.set(b.address, b);
        this.lastEndpointValue = b.address;
        if (b.monitored !== false) this.observer.emit({ type: "bind", address: b.address });
        // a close() asked for while this bind was pending happens now, as zeromq.js
        if (this.closeDeferred && this.bindsPending === 0) this.close();
      },
      (err: unknown) => {
        this.bindsPending--;
        const e = fromSystemError(err, address);
        e.address ??= address;
        // libzmq's monitor names the failed endpoint without its transport
        this.observer.emit({ type: "bind:error", address: address.replace(/^[a-z]+:\/\//, ""), error: e });
        if (this.closeDeferred && this.bindsPending === 0) queueMicrotask(() => this.close());
        throw e;
      },
    );
  }


  unbind(address: string): Promise<void> {
    this.assertOpen();
    try {
      checkScheme(address);
    } catch (e) {
      return Promise.reject(e);
    }
    const b = this.bindings.get(address);
    if (b === undefined) return Promise.reject(zmqError("ENOENT", undefined, address));
    for (const [k, v] of this.bindings) if (v === b) this.bindings.delete(k);
    b.close();
    if (b.monitored !== false) this.observer.emit({ type: "close", address: b.address });
    return RESOLVED;
  }

  /** @internal Router exposes the options argument. */
  connect(address: string, options?: { routingId?: string | Buffer }): void {
    this.assertOpen();
    const { ep, transport } = transportFor(address, this._info);
    const co: ConnectOptions = {};
    if (options?.routingId !== undefined) co.routingId = normalizeOption("routingId", options.routingId) as Buffer;
    const c = transport.connect(ep, this._host, co);
    let list = this.connections.get(address);
    if (list === undefined) this.connections.set(address, (list = []));
    list.push(c);
  }

  disconnect(address: string): void {
    this.assertOpen();
    checkScheme(address);
    const list = this.connections.get(address);
    if (list === undefined) throw zmqError("ENOENT", undefined, address);
    this.connections.delete(address);
    for (const c of list) c.close();
  }

  /** Close now: waiting calls reject (EAGAIN); queued messages are flushed for up to linger ms. */
  close(): void {
    if (this.isClosed) return;
    // zeromq.js: a close() while a bind is pending waits for it to settle
    // (`closed` stays false until then)
    if (this.bindsPending > 0) {
      this.closeDeferred = true;
      return;
    }
    this.closeDeferred = false;
    this.isClosed = true;
    const err = () => zmqError("EAGAIN");
    this.sendWaiters.rejectAll(err);
    this.recvWaiters.rejectAll(err);
    for (const list of this.connections.values()) for (const c of list) c.close();
    this.connections.clear();
    const closedBindings = new Set<Binding>();
    for (const b of this.bindings.values()) {
      if (closedBindings.has(b)) continue;
      closedBindings.add(b);
      b.close();
      if (b.monitored !== false) this.observer.emit({ type: "close", address: b.address });
    }
    this.bindings.clear();
    for (const p of this.pipes) p.close();
    this.pipes.clear();
    this.context.sockets--;
    this.context.tap?.closed(this);
    this.observer.emit({ type: "end" });
    this.observer.close();
  }

  private attachPipe(end: PipeEnd): void {
    if (this.isClosed) {
      end.close();
      return;
    }
    const o = this._opts;
    const canSend = this._info.canSend;
    const canRecv = this._info.canReceive;
    end.setHwms(canSend ? o.sendHighWaterMark : 0, canRecv ? o.receiveHighWaterMark : 0);
    if (o.conflate) end.setConflate(canSend, canRecv);
    // forget closed pipes lazily: no per-pipe close hook needed
    if (this.pipes.size > 64) for (const p of this.pipes) if (p.closed) this.pipes.delete(p);
    this.pipes.add(end);
    end.reportOwnClose = true;
    this._pattern.attach(end);
  }

  /** @internal HWMs apply to live pipes too (libzmq test_sockopt_hwm). */
  _applyHwms(): void {
    const o = this._opts;
    for (const p of this.pipes) {
      if (p.closed) this.pipes.delete(p);
      else p.setHwms(this._info.canSend ? o.sendHighWaterMark : 0, this._info.canReceive ? o.receiveHighWaterMark : 0);
    }
  }

  /** @internal */
  _send(message: MessageLike | MessageLike[]): Promise<void> {
    this.assertOpen();
    if (!this._info.canSend) return Promise.reject(zmqError("ENOTSUP"));
    const msg = toFrames(message);
    const queued = this.sendWaiters.length;
    try {
      // checked even behind waiting sends: misuse (EFSM) rejects at once
      this._pattern.checkSend?.(queued);
      if (queued === 0 && this.sendToPattern(msg) !== "blocked") {
        // A type that drops at the HWM never blocks its sender: let the event
        // loop turn now and then while engines wait to write, or a tight
        // `await send()` loop runs entirely in microtasks, the engines'
        // nextTick flushes never run, and a PUB drops at its HWM though the
        // network could keep up (libzmq has an I/O thread for this). Types
        // that wait at the HWM get their turn when they block.
        if (++this._syncOps >= CHECK_EVERY) return this.sendTurn();
        if (!this._pattern.dropsWhenFull || ++this.sendsSinceYield < yieldEvery(this._opts.sendHighWaterMark) || ioTurn.pending === 0) return RESOLVED;
        this.sendsSinceYield = 0;
        return new Promise<void>((r) => setImmediate(r));
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (this._opts.sendTimeout === 0) return Promise.reject(zmqError("EAGAIN"));
    return this.sendWaiters.wait(msg, this._opts.sendTimeout, this.busyPollWindow());
  }

  /** @internal A message available now (when nobody is waiting ahead), or
   * undefined; throws for misuse (EFSM). */
  _tryReceive(): Msg | undefined {
    this._pattern.checkReceive?.(this.sendWaiters.length);
    return this.recvWaiters.length === 0 ? this.receiveFromPattern() : undefined;
  }

  /** The pattern's send, told to the context's tap when one listens. */
  private sendToPattern(msg: Msg): SendResult {
    const r = this._pattern.send(msg);
    if (r !== "blocked") this.context.tap?.sent(this, msg);
    return r;
  }

  private receiveFromPattern(): Msg | undefined {
    const m = this._pattern.receive();
    if (m !== undefined) this.context.tap?.received(this, m);
    return m;
  }

  /** The CHECK_EVERY-th send completed at once (loop-turn.ts; out of the hot
   * path: never in virtual time, where the simulation drives the loop). */
  private sendTurn(): Promise<void> {
    this._syncOps = 0;
    if (!this.context.clock.realTime || !turnDue(SEND_TURN_MS)) return RESOLVED;
    this.sendsSinceYield = 0;
    return afterTurn(undefined);
  }

  /** @internal The CHECK_EVERY-th receive completed at once: `v` now, or after a turn. */
  _receiveTurn<V>(v: V): Promise<V> {
    this._syncOps = 0;
    return this.context.clock.realTime && turnDue(RECEIVE_TURN_MS) ? afterTurn(v) : Promise.resolve(v);
  }

  /** Spinning for real microseconds means nothing in virtual time. */
  private busyPollWindow(): number {
    return this.context.clock.realTime ? this._opts.busyPoll : 0;
  }

  /** @internal */
  _receive(): Promise<Msg> {
    this.assertOpen();
    if (!this._info.canReceive) return Promise.reject(zmqError("ENOTSUP"));
    try {
      const m = this._tryReceive();
      if (m !== undefined) return ++this._syncOps < CHECK_EVERY ? Promise.resolve(m) : this._receiveTurn(m);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this._opts.receiveTimeout === 0) return Promise.reject(zmqError("EAGAIN"));
    return this.recvWaiters.wait(undefined, this._opts.receiveTimeout, this.busyPollWindow());
  }

  /** @internal option accessors (installed per class by defineOptions). */
  _getOption(name: string): unknown {
    if (this.isClosed) throw zmqError("ENOTSOCK");
    return securityReadback(this._opts, name) ?? publicValue(name, this._opts[name]);
  }

  /** @internal */
  _setOption(name: string, value: unknown): void {
    if (this.isClosed) throw zmqError("ENOTSOCK");
    this.storeOption(name, value);
    // zeromq.js warns, as libzmq applies most options to later connections only
    if (!appliesAtOnce(name) && (this.bindsPending > 0 || this.bindings.size > 0 || this.connections.size > 0)) {
      process.emitWarning("Socket option will not take effect until next connect/bind.");
    }
    if (name === "sendHighWaterMark" || name === "receiveHighWaterMark") this._applyHwms();
  }

  private storeOption(name: string, value: unknown): void {
    const v = normalizeOption(name, value);
    this._opts[name] = v;
    applySecurityOption(this._opts, name, v);
    // CURVE's cryptography loads on first use, ahead of the first handshake
    if (this._opts.mechanism === "curve") preloadCurve();
  }

  /** @internal */
  _emit(e: Event): void {
    this.observer.emit(e);
  }
}
