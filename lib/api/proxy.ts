// zmq_proxy as zeromq.js's Proxy: forwards frontEnd <-> backEnd in both
// directions over any transport, with pause/resume/terminate. Back-pressure
// is kept: a forwarded send is awaited before the next receive.
import { zmqError } from "../core/errors.js";
import type { Msg } from "../core/message.js";
import type { Socket } from "./socket.js";

type Duplex = Socket & { send(m: Msg): Promise<void>; receive(): Promise<Msg> };

export class Proxy<F extends Socket = Socket, B extends Socket = Socket> {
  private running = false;
  private paused: Promise<void> | undefined;
  private unpause: (() => void) | undefined;
  private terminated = false;

  constructor(
    readonly frontEnd: F,
    readonly backEnd: B,
  ) {}

  /** Forward until terminate(); resolves then. Rejects EINVAL if either socket
   * has neither bound nor connected (as zeromq.js). */
  async run(): Promise<void> {
    if (this.running) throw zmqError("EBUSY", "Proxy is already running");
    for (const [s, name] of [[this.frontEnd, "Front"], [this.backEnd, "Back"]] as const) {
      if (s.closed) throw zmqError("EBADF");
      const any = s as unknown as { bindings: Map<string, unknown>; connections: Map<string, unknown> };
      if (any.bindings.size === 0 && any.connections.size === 0) {
        throw zmqError("EINVAL", `${name}-end socket must be bound or connected`);
      }
    }
    this.running = true;
    const f = this.frontEnd as unknown as Duplex;
    const b = this.backEnd as unknown as Duplex;
    const loops: Promise<void>[] = [];
    if (f._info.canReceive && b._info.canSend) loops.push(this.forward(f, b));
    if (b._info.canReceive && f._info.canSend) loops.push(this.forward(b, f));
    await Promise.all(loops);
    this.running = false;
  }

  private async forward(from: Duplex, to: Duplex): Promise<void> {
    while (!this.terminated) {
      let msg: Msg;
      try {
        if (this.paused) await this.paused;
        if (this.terminated) return;
        msg = await from.receive();
        if (this.paused) await this.paused;
        if (this.terminated) return;
        await to.send(msg);
      } catch (e) {
        if (this.terminated || from.closed || to.closed) return;
        throw e;
      }
    }
  }

  /** Stop forwarding until resume(); messages queue in the sockets. */
  pause(): void {
    if (this.terminated) throw zmqError("EBADF", "Socket is closed (the proxy is terminated)");
    if (this.paused === undefined) this.paused = new Promise((r) => (this.unpause = r));
  }

  resume(): void {
    if (this.terminated) throw zmqError("EBADF", "Socket is closed (the proxy is terminated)");
    const u = this.unpause;
    this.paused = undefined;
    this.unpause = undefined;
    u?.();
  }

  /** Stop for good: closes both sockets (as zeromq.js) and run() resolves.
   * Before run() or once terminated there is nothing to stop: EBADF, as
   * zeromq.js (whose control socket exists only while it runs). */
  terminate(): void {
    if (this.terminated) throw zmqError("EBADF", "Socket is closed (the proxy is terminated)");
    if (!this.running) throw zmqError("EBADF", "Socket is closed (the proxy is not running)");
    this.terminated = true;
    const u = this.unpause;
    this.paused = undefined;
    u?.();
    this.frontEnd.close();
    this.backEnd.close();
  }
}
