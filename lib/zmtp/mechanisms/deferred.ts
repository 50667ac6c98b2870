// A mechanism whose implementation needs something still loading (CURVE's
// libsodium, fetched on first use): it answers for the greeting (name, role)
// at once, keeps the peer's first handshake commands, and hands everything to
// the real mechanism once it exists, through the engine's wake/poll hook.
import { ERR_ZMTP_UNEXPECTED_COMMAND, protocolError } from "../constants.js";
import type { Command, FrameTransform, Mechanism, MechanismPeer } from "./mechanism.js";

/** A peer gets at most this many commands ahead of us (CURVE: HELLO). */
const MAX_EARLY = 4;

export class DeferredMechanism implements Mechanism {
  private inner: Mechanism | undefined;
  private failure: unknown;
  private started = false;
  private early: Array<[string, Buffer]> = [];
  private handedOver = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly asServer: boolean,
    ready: Promise<() => Mechanism>,
  ) {
    ready.then(
      (make) => {
        try {
          this.inner = make();
        } catch (err) {
          this.failure = err;
        }
        this.wake?.();
      },
      (err) => {
        this.failure = err;
        this.wake?.();
      },
    );
  }

  get done(): boolean {
    return this.handedOver && this.inner!.done;
  }
  get peer(): MechanismPeer | undefined {
    return this.handedOver ? this.inner!.peer : undefined;
  }
  get transform(): FrameTransform | undefined {
    return this.handedOver ? this.inner!.transform : undefined;
  }

  setWake(wake: () => void): void {
    this.wake = wake;
  }

  start(): Command[] {
    this.started = true;
    return this.poll();
  }

  onCommand(name: string, data: Buffer): Command[] {
    if (this.handedOver) return this.inner!.onCommand(name, data);
    if (this.early.length >= MAX_EARLY) throw protocolError(ERR_ZMTP_UNEXPECTED_COMMAND, "handshake commands beyond what the peer may send before our answer");
    this.early.push([name, Buffer.from(data)]);
    return this.poll();
  }

  poll(): Command[] {
    if (this.failure !== undefined) throw this.failure;
    const m = this.inner;
    if (m === undefined || !this.started) return [];
    if (this.handedOver) return m.poll?.() ?? [];
    this.handedOver = true;
    if (this.wake !== undefined) m.setWake?.(this.wake);
    const out = m.start();
    for (const [name, data] of this.early.splice(0)) out.push(...m.onCommand(name, data));
    return out;
  }

  close(): void {
    this.inner?.close?.();
  }
}
