// One ZeroMQ connection over a byte stream: the codec's preamble, the security
// mechanism's handshake, then frames both ways between the stream and the
// session's pipe end, with heartbeats and flow control. Shared by every
// stream transport (they only make the stream) and by every framing (the
// Codec), and every frame after the handshake passes the mechanism's
// transform, if it has one.
//
// This file holds the connection's phases, the handshake and the commands;
// flow control lives in its two halves, inbound.ts and outbound.ts.
import type { Timer } from "../core/clock.js";
import { ZmqError, peerClosedError, toZmqError } from "../core/errors.js";
import type { PipeEnd } from "../core/pipe.js";
import { MessageAssembler } from "./assembler.js";
import { parsePing, pingCommand, subscriptionMessage } from "./commands.js";
import {
  ACTIVE_COMMAND_MAX, CMD_CANCEL, CMD_ERROR, CMD_PING, CMD_PONG, CMD_SUBSCRIBE, ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
  ERR_ZMTP_MECHANISM_MISMATCH, HANDSHAKE_COMMAND_MAX, MAX_TOPIC_BYTES, PING_MAX_CONTEXT, PING_MIN_DATA, ZmtpError,
  protocolError,
} from "./constants.js";
import type { Engine, EngineEnd, EngineOptions, EngineOwner, EngineStream } from "./engine.js";
import type { Codec, LegacyPeer, PeerPreamble } from "./framing.js";
import { legacyEnginePeer } from "./legacy-peer.js";
import { Heartbeats } from "./heartbeats.js";
import { Inbound, type InboundHost } from "./inbound.js";
import { type Mechanism, Refusal, handshakeErrorKind } from "./mechanisms/mechanism.js";
import { OpeningSink } from "./opening-sink.js";
import { Outbound, type OutboundSource } from "./outbound.js";
/** Direct reads only for bodies missing at least this much: below it a read
 * into a fresh 64 KiB buffer, which may also hold the next frames, does better. */
const DIRECT_READ_MIN = 64 * 1024;
/** After our FIN, how long to wait for the peer's before closing the fd. */
const FIN_WAIT_MS = 30_000;
/** How long a refused peer's ERROR gets to leave before the fd is closed. */
const FAREWELL_MS = 2_000;
type Phase = "greeting" | "handshake" | "active" | "ending" | "closed";

export class StreamEngine implements Engine, InboundHost, OutboundSource {
  private phase: Phase = "greeting";
  private readonly in: Inbound;
  private readonly out: Outbound;
  private readonly assembler: MessageAssembler;
  private pipe: PipeEnd | undefined;
  private finTimer: Timer | undefined;
  private handshakeTimer: Timer | undefined;
  private readonly heartbeats: Heartbeats;
  /** Bumped on every inbound read: heartbeat timers compare it to see silence. */
  received = 0;

  constructor(
    private readonly stream: EngineStream,
    private readonly codec: Codec,
    private readonly o: EngineOptions,
    private readonly owner: EngineOwner,
  ) {
    this.in = new Inbound(stream, this);
    this.out = new Outbound(stream, this);
    this.assembler = new MessageAssembler(this.in, { maxMessageSize: o.maxMessageSize, maxCommandSize: HANDSHAKE_COMMAND_MAX });
    this.assembler.acceptData = false;
    this.heartbeats = new Heartbeats(o, {
      received: () => this.received,
      ping: (ttl) => {
        const ping = pingCommand(ttl);
        this.out.command(ping.name, ping.data);
        this.out.writeBatch();
      },
      expired: (err) => this.fail("active", undefined, err),
    });
    stream.on("data", (c: Buffer) => this.onData(c));
    stream.on("drain", () => this.onDrain());
    stream.on("error", (err) => this.peerGone(err));
    // most closes follow our own destroy(): then there is no error to make
    stream.on("close", () => {
      if (this.phase !== "closed") this.peerGone(peerClosedError());
    });
    stream.on("end", () => {
      if (this.phase !== "closed") this.peerGone(peerClosedError());
    });
    stream.on("finish", () => {
      // Everything is written and our FIN sent: waiting for the peer's FIN must
      // not keep the process alive (libzmq closes the fd at this point). An
      // unref'd timer bounds how long the fd lingers if the peer never closes;
      // none while data the peer sent before closing waits for the reader.
      stream.unref();
      if (this.phase !== "ending") return;
      owner.engineFlushed?.(this);
      const t = o.clock.setTimeout(() => this.destroy(), FIN_WAIT_MS);
      t.unref();
      this.finTimer = t;
    });
    if (o.handshakeInterval > 0) {
      this.handshakeTimer = o.clock.setTimeout(
        () => this.fail("handshake", "other", new ZmqError("EAGAIN", "ZMTP handshake timed out")),
        o.handshakeInterval,
      );
      this.handshakeTimer.unref();
    }
    const first = codec.preamble.start();
    if (first !== undefined) stream.write(first);
    // after the constructor returns: the owner has to know this engine first
    if (codec.preamble.known !== undefined) queueMicrotask(() => this.knownPreamble());
  }

  /** The codec knew the peer's preamble before any byte: start the handshake. */
  private knownPreamble(): void {
    const peer = this.codec.preamble.known;
    if (this.phase !== "greeting" || this.in.decoder !== undefined || peer === undefined) return;
    try {
      this.onPreamble(peer);
    } catch (err) {
      this.fail("handshake", handshakeErrorKind(err), err);
    }
  }

  get isReady(): boolean {
    return this.phase === "active";
  }

  // --- OutboundSource: messages flow while active and the peer is there
  get sendingPipe(): PipeEnd | undefined {
    return this.phase === "active" && this.in.peerEnded === undefined ? this.pipe : undefined;
  }
  get writing(): boolean {
    return (this.phase === "active" && this.in.peerEnded === undefined) || this.phase === "ending";
  }
  get closed(): boolean {
    return this.phase === "closed";
  }

  attachPipe(pipe: PipeEnd): void {
    this.pipe = pipe;
    this.in.pipe = pipe;
    this.out.schedule();
  }

  pipeReadable(): void {
    this.out.schedule();
  }

  /** The pipe has room again: deliver what was held and decode again. */
  pipeWritable(): void {
    this.in.pipeWritable();
  }

  endGracefully(): void {
    if (this.phase === "closed") return;
    this.out.flush();
    this.pipe = undefined;
    this.phase = "ending";
    // no more PINGs: a write after end() would destroy the stream and lose
    // what is still buffered
    this.heartbeats.stop();
    const peerEnded = this.in.stopDelivering();
    if (peerEnded !== undefined) {
      this.fail("active", undefined, peerEnded);
      return;
    }
    // the process waits for this flush only at exit (the owner's exit-wait)
    if (!this.out.waitingDrain) this.endStream();
    // the peer answers our FIN; if it never does, destroy() comes from the linger timer
  }

  /** The last of a graceful end: what is batched, the framing's goodbye (a
   * WebSocket close frame) after everything else, then our FIN. */
  private endStream(): void {
    this.out.encoder?.writeClose?.();
    this.out.writeBatch();
    this.stream.end();
  }

  destroy(): void {
    if (this.phase === "closed") return;
    this.fail(this.isReady ? "active" : "handshake", undefined, undefined, true);
  }

  /** Direct reads (a stream made with net's `onread`, see transports/stream.ts):
   * where the next read may land, the rest of a large body being assembled;
   * undefined means "a fresh buffer, then input()". */
  readTarget(): Buffer | undefined {
    return this.phase === "active" ? this.in.readTarget(DIRECT_READ_MIN) : undefined;
  }

  /** `n` bytes were read into the Buffer readTarget() returned. */
  directRead(n: number): void {
    if (this.phase === "closed") return;
    this.received++;
    try {
      this.in.decoder!.wrote(n);
    } catch (err) {
      this.fail("active", "protocol", err);
    }
  }

  /** Bytes read from the stream, when they do not come as 'data' events. */
  input(chunk: Buffer): void {
    this.onData(chunk);
  }

  // --- inbound

  private onData(chunk: Buffer): void {
    if (this.phase === "closed") return;
    this.received++;
    try {
      if (this.in.decoder === undefined && this.codec.preamble.known !== undefined) {
        this.knownPreamble();
        if (this.closed) return;
      }
      if (this.in.decoder === undefined) {
        // what one chunk makes us send (the rest of our greeting, the first
        // handshake command) goes out in one write, as libzmq's out buffer
        const s = this.stream;
        s.cork();
        let r;
        try {
          r = this.codec.preamble.feed(chunk, this.sendPreamble);
          if (r !== undefined) this.onPreamble(r.peer);
        } finally {
          s.uncork();
        }
        if (r !== undefined && r.rest.length > 0) this.in.push(r.rest);
        return;
      }
      this.in.push(chunk);
    } catch (err) {
      this.fail(this.isReady ? "active" : "handshake", handshakeErrorKind(err), err);
    }
  }

  private readonly sendPreamble = (b: Buffer): void => {
    this.stream.write(b);
  };

  private onPreamble(peer: PeerPreamble): void {
    const m = this.o.mechanism;
    if (peer.mechanism !== m.name) {
      throw protocolError(ERR_ZMTP_MECHANISM_MISMATCH, `peer mechanism ${peer.mechanism}, ours ${m.name}`);
    }
    // RFC 23 wants exactly one PLAIN/CURVE server, but libzmq 4.3 sends
    // as-server 0 whatever its role and never reads the peer's: the roles
    // come from each side's options, so the byte is sent right and not checked
    this.out.subscriptionCommands = this.o.sendsSubscriptions && peer.subscriptionCommands;
    this.in.decoder = this.codec.decoder(this.assembler, peer);
    this.out.encoder = this.codec.encoder(peer);
    if (peer.legacy !== undefined) {
      this.legacyReady(peer.legacy);
      return;
    }
    this.phase = "handshake";
    m.setWake?.(() => this.pollMechanism());
    this.out.handshake(m.start());
  }

  /** A ZMTP 2.0/1.0 peer: the preamble exchanged all there is (identities),
   * so traffic starts now, with no commands and no heartbeats (libzmq). */
  private legacyReady(legacy: LegacyPeer): void {
    const peer = legacyEnginePeer(this.o.socketType, this.o.mechanism, legacy);
    this.phase = "active";
    if (this.handshakeTimer !== undefined) this.o.clock.clearTimeout(this.handshakeTimer);
    const a = this.assembler;
    a.acceptData = true;
    a.acceptCommands = false;
    this.owner.engineReady(this, peer);
    // A ZeroMQ 2.x subscriber filters locally and sends no subscriptions:
    // a publisher subscribes it to everything (libzmq's phantom subscription).
    if (legacy.revision === "unversioned" && this.o.takesSubscriptions) this.in.onMessage([Buffer.of(1)]);
  }

  private pollMechanism(): void {
    const m = this.o.mechanism;
    if (this.phase !== "handshake") return;
    try {
      if (m.poll) this.out.handshake(m.poll());
      this.checkHandshakeDone();
    } catch (err) {
      this.fail("handshake", handshakeErrorKind(err), err);
    }
  }

  private checkHandshakeDone(): void {
    const m = this.o.mechanism;
    if (this.phase !== "handshake" || !m.done) return;
    this.phase = "active";
    if (this.handshakeTimer !== undefined) this.o.clock.clearTimeout(this.handshakeTimer);
    const a = this.assembler;
    a.acceptData = true;
    a.maxCommandSize = ACTIVE_COMMAND_MAX;
    const t = m.transform;
    if (t !== undefined) {
      this.out.transform = t;
      this.in.decoder!.sink = new OpeningSink(t, a);
    }
    const peer = m.peer!;
    if (peer.properties.has("User-Id")) this.in.meta = { properties: connectionProperties(peer.properties, this.o.peerAddress) };
    this.heartbeats.start();
    this.owner.engineReady(this, peer);
  }

  /** InboundHost: a command, during the handshake or after it. */
  onCommand(name: string, data: Buffer): void {
    if (this.phase === "handshake") {
      this.out.handshake(this.o.mechanism.onCommand(name, data));
      this.checkHandshakeDone();
      return;
    }
    switch (name) {
      case CMD_PING: {
        if (data.length > PING_MIN_DATA + PING_MAX_CONTEXT) throw malformed(`PING of ${data.length} data bytes (at most ${PING_MIN_DATA + PING_MAX_CONTEXT})`);
        const { ttl, context } = parsePing(data);
        this.out.pong(context);
        if (ttl > 0 && this.phase === "active" && this.in.peerEnded === undefined) this.heartbeats.peerTtl(ttl * 100);
        return;
      }
      case CMD_PONG:
        if (data.length > PING_MAX_CONTEXT) throw malformed(`PONG of ${data.length} bytes (at most ${PING_MAX_CONTEXT})`);
        return;
      case CMD_SUBSCRIBE:
      case CMD_CANCEL:
        if (data.length > MAX_TOPIC_BYTES) throw new ZmtpError("EMSGSIZE", ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, `${name} topic of ${data.length} bytes exceeds ${MAX_TOPIC_BYTES}`);
        // 3.1 subscriptions become the pipe's \x01/\x00 messages (patterns never see the wire)
        if (this.o.takesSubscriptions) this.in.onMessage(subscriptionMessage(name === CMD_SUBSCRIBE, data));
        return;
      case CMD_ERROR:
        throw new ZmtpError("EPROTO", "ERR_ZMTP_ERROR", "peer sent ERROR");
      default:
        // RFC 37: unknown commands are ignored
        return;
    }
  }

  /** InboundHost: give the connection up. */
  giveUp(err: unknown): void {
    this.fail("active", "other", err);
  }

  /** The stream ended, closed or failed. Data already received but held for a
   * full pipe is still delivered (as libzmq, which stops reading instead). */
  private peerGone(err: unknown): void {
    if (this.phase === "closed") return;
    if (this.phase === "active" && this.in.peerGone(err)) {
      // nothing more can arrive: silence is no reason to drop what is held
      this.heartbeats.stop();
      return;
    }
    this.fail(this.isReady ? "active" : "handshake", "other", err);
  }

  // --- outbound

  private onDrain(): void {
    this.out.drained();
    if (this.phase === "ending") this.endStream();
    else this.out.flush();
  }

  private fail(phase: "handshake" | "active", kind: EngineEnd["kind"], err: unknown, quiet = false): void {
    if (this.phase === "closed") return;
    const ready = this.isReady || this.phase === "ending";
    // a refused peer is told why (ZAP 400/500) before the connection closes
    const farewell = this.phase === "handshake" && err instanceof Refusal ? err.farewell : undefined;
    if (farewell !== undefined) this.out.handshakeFrame(farewell);
    this.phase = "closed";
    if (this.handshakeTimer !== undefined) this.o.clock.clearTimeout(this.handshakeTimer);
    if (this.finTimer !== undefined) this.o.clock.clearTimeout(this.finTimer);
    this.heartbeats.stop();
    this.o.mechanism.close?.();
    this.in.clear();
    this.pipe = undefined;
    if (farewell === undefined) this.stream.destroy();
    else {
      const stream = this.stream;
      stream.end();
      const t = this.o.clock.setTimeout(() => stream.destroy(), FAREWELL_MS);
      t.unref();
    }
    this.owner.engineClosed(this, {
      phase: ready ? "active" : phase,
      kind: ready || quiet ? undefined : (kind ?? "other"),
      error: err === undefined ? undefined : toZmqError(err),
    });
  }
}

/** The properties received messages carry: the mechanism's (User-Id, ZAP
 * metadata) and the peer's address, as libzmq's zmq_msg_gets. */
function connectionProperties(props: Map<string, Buffer>, peerAddress: string | undefined): Map<string, Buffer> {
  const out = new Map(props);
  if (peerAddress !== undefined) out.set("Peer-Address", Buffer.from(peerAddress, "latin1"));
  return out;
}

function malformed(message: string): ZmtpError {
  return protocolError(ERR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, message);
}
