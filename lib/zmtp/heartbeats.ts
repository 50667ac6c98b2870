// ZMTP heartbeats (RFC 37 PING/PONG, libzmq's ZMQ_HEARTBEAT_*): a PING every
// interval, the connection given up when nothing at all arrives within the
// timeout after one, and the peer's TTL honoured. Silence is measured by a
// counter the engine bumps on every read, so no timer is touched per read.
import type { Clock, Timer } from "../core/clock.js";
import { ZmqError } from "../core/errors.js";

export interface HeartbeatOptions {
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatTimeToLive: number;
  clock: Clock;
}

export interface HeartbeatHost {
  /** Reads so far (compared to see silence). */
  received(): number;
  /** Send a PING with this TTL (deciseconds). */
  ping(ttlDeciseconds: number): void;
  /** The peer fell silent: close the connection with this error. */
  expired(err: ZmqError): void;
}

export class Heartbeats {
  private interval: Timer | undefined;
  private deadline: Timer | undefined;
  private ttl: Timer | undefined;

  constructor(
    private readonly o: HeartbeatOptions,
    private readonly host: HeartbeatHost,
  ) {}

  start(): void {
    const clock = this.o.clock;
    const ivl = this.o.heartbeatInterval;
    if (ivl <= 0) return;
    const timeout = this.o.heartbeatTimeout >= 0 ? this.o.heartbeatTimeout : ivl;
    const ttl = Math.floor(this.o.heartbeatTimeToLive / 100);
    this.interval = clock.setInterval(() => {
      this.host.ping(ttl);
      if (this.deadline === undefined && timeout > 0) {
        const seen = this.host.received();
        this.deadline = clock.setTimeout(() => {
          this.deadline = undefined;
          if (this.host.received() === seen) this.host.expired(new ZmqError("ETIMEDOUT", "heartbeat timed out"));
        }, timeout);
        this.deadline.unref();
      }
    }, ivl);
    this.interval.unref();
  }

  /** The peer's PING asked to be dropped after `ms` of silence. */
  peerTtl(ms: number): void {
    const clock = this.o.clock;
    if (this.ttl !== undefined) clock.clearTimeout(this.ttl);
    const seen = this.host.received();
    this.ttl = clock.setTimeout(() => {
      this.ttl = undefined;
      if (this.host.received() === seen) this.host.expired(new ZmqError("ETIMEDOUT", "peer heartbeat TTL expired"));
    }, ms);
    this.ttl.unref();
  }

  stop(): void {
    const clock = this.o.clock;
    if (this.interval !== undefined) clock.clearInterval(this.interval);
    if (this.deadline !== undefined) clock.clearTimeout(this.deadline);
    if (this.ttl !== undefined) clock.clearTimeout(this.ttl);
    this.interval = this.deadline = this.ttl = undefined;
  }
}
