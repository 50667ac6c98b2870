// What tcp, ipc and ws share on the listening side: a listener that wraps
// each accepted net.Socket in a ZMTP engine and session; and the engine
// starter with every mechanism (NULL, PLAIN, CURVE) for connecter.ts.
// tcp.ts, ipc.ts and ws/ only say how to listen and how to dial.
import { type OnReadOpts, type Server, Socket as NetSocket } from "node:net";
import { fromSystemError } from "../lib/core/errors.js";
import type { Binding, ConnectOptions, Connection, TransportHost } from "../lib/core/transport.js";
import type { CodecFactory } from "../lib/zmtp/framing.js";
import type { MechanismSelf } from "../lib/zmtp/mechanisms/mechanism.js";
import { makeMechanism } from "../lib/zmtp/mechanisms/select.js";
import { zapConnector } from "../lib/zmtp/mechanisms/zap.js";
import { RawEngine } from "../lib/raw/raw-engine.js";
import { Session, type SessionOwner } from "../lib/zmtp/session.js";
import { StreamEngine } from "../lib/zmtp/stream-engine.js";
import { zmtpCodec } from "../lib/zmtp/zmtp-codec.js";
import { DirectReads, type EngineStarter, type ReadingEngine, StreamConnecter, type StreamDialer, applySocketOptions, engineOptions } from "./connecter.js";

export { applySocketOptions } from "./connecter.js";
export type { StreamDialer, Upgraded } from "./connecter.js";

const EMPTY = Buffer.alloc(0);

/** Run the ZeroMQ engine over a connected stream, for this session (or the
 * raw engine, for a socket whose connections carry raw bytes). */
export const startEngine: EngineStarter = function startEngine(
  stream: NetSocket,
  host: TransportHost,
  session: Session,
  reads?: DirectReads,
  codec: CodecFactory = zmtpCodec,
): ReadingEngine {
  const o = host.options;
  const t = host.type;
  if (t.raw === true) {
    const raw = new RawEngine(stream, { notify: o.notify }, session);
    session.setEngine(raw);
    reads?.attach(raw);
    return raw;
  }
  const routingId = o.routingId ?? EMPTY;
  const self: MechanismSelf = { socketType: host.socketType, sendsIdentity: t.sendsIdentity, routingId };
  const mechanism = makeMechanism(self, o, {
    zap: zapConnector(host.context, { socketType: "DEALER", endpoint: session.address, locallyInitiated: true }),
    // libzmq: the peer's IP for tcp; nothing it could say for ipc here
    address: stream.remoteAddress ?? "",
    routingId,
  });
  const codecSelf = { mechanism: mechanism.name, asServer: mechanism.asServer, socketType: t.number, routingId };
  const engine = new StreamEngine(stream, codec(codecSelf), engineOptions(host, mechanism, stream.remoteAddress), session);
  session.setEngine(engine);
  reads?.attach(engine);
  return engine;
};

/** connect() over a stream transport: the dialing loop with every mechanism. */
export function connectStream(dialer: StreamDialer, address: string, host: TransportHost, opts: ConnectOptions): Connection {
  return new StreamConnecter(dialer, address, host, opts, startEngine);
}

/**
 * An accepted connection with net's `onread`, so large bodies are read
 * straight into their message as on connections omq dials (one copy instead
 * of two; libzmq does the same). Node offers `onread` only to sockets it
 * creates, so the accepted socket's handle (the server pauses new
 * connections, so nothing has been read) goes to a new net.Socket made with
 * `onread`; the old wrapper is destroyed without its handle, which tells the
 * server the connection count. Node internals (`_handle`, the `handle`
 * option): where they are missing, the accepted socket is used as it is,
 * with 'data' events.
 */
function adopt(s: NetSocket, onread: OnReadOpts): NetSocket {
  const inner = s as unknown as { _handle: unknown };
  const handle = inner._handle;
  if (handle === null || handle === undefined) {
    s.resume();
    return s;
  }
  let adopted: NetSocket;
  try {
    adopted = new NetSocket({ handle, readable: true, writable: true, onread } as ConstructorParameters<typeof NetSocket>[0]);
  } catch {
    s.resume();
    return s;
  }
  inner._handle = null;
  s.destroy();
  return adopted;
}

/** The sessions of the peers a bound endpoint accepted (tcp, ipc, a ws path). */
export abstract class AcceptingListener implements Binding, SessionOwner {
  private readonly sessions = new Set<Session>();
  private closed = false;

  constructor(
    readonly address: string,
    protected readonly host: TransportHost,
  ) {}

  /** Stop taking connections (the server, or the path on a shared one). */
  protected abstract stopListening(): void;

  /** Still taking connections: false once closed or the socket is. */
  protected get open(): boolean {
    return !this.closed && !this.host.closed;
  }

  /** Run a session and engine over an accepted stream; `head` is what was
   * read past an upgrade. */
  protected accept(stream: NetSocket, reads?: DirectReads, codec?: CodecFactory, head: Buffer = EMPTY): void {
    applySocketOptions(stream, this.host);
    this.host.emit({ type: "accept", address: this.address });
    const session = new Session(this.host, this.address, false, this);
    this.sessions.add(session);
    const engine = startEngine(stream, this.host, session, reads, codec);
    if (head.length > 0) engine.input(head);
  }

  sessionDisconnected(): void {}
  sessionEnded(s: Session): void {
    this.sessions.delete(s);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    for (const s of [...this.sessions]) s.terminate();
  }
}

/** A listening net.Server (tcp, ipc) and the sessions of the peers it accepted. */
export class StreamListener extends AcceptingListener {
  constructor(
    private readonly server: Server,
    address: string,
    host: TransportHost,
    private readonly onClose?: () => void,
  ) {
    super(address, host);
    server.unref();
    server.on("connection", (s: NetSocket) => this.accepted(s));
    server.on("error", (err) => this.host.emit({ type: "accept:error", address, error: fromSystemError(err, address) }));
  }

  private accepted(s: NetSocket): void {
    if (!this.open) {
      s.destroy();
      return;
    }
    const reads = new DirectReads();
    const stream = adopt(s, reads.options);
    this.accept(stream, stream === s ? undefined : reads);
  }

  protected stopListening(): void {
    this.server.close();
    this.onClose?.();
  }
}
