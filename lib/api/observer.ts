// socket.events: zeromq.js's Observer. Either an emitter (on/off) or a queue
// read with receive()/for await, never both.
import { zmqError } from "../core/errors.js";
import type { Event, EventError, EventOfType, EventRecord, EventType } from "../core/events.js";
import { RingQueue } from "../core/ring-queue.js";

export type { Event, EventError, EventOfType, EventType };

type Listener = (e: never) => void;

/** Unread events kept for receive(); older ones are dropped past this. */
const MAX_QUEUED = 1024;

export class Observer implements AsyncIterable<Event> {
  private listeners = new Map<string, Set<Listener>>();
  private queue = new RingQueue<EventRecord>();
  private waiters = new RingQueue<{ resolve: (e: Event) => void; reject: (e: Error) => void }>();
  private emitterMode = false;
  private isClosed = false;

  get closed(): boolean {
    return this.isClosed;
  }

  on<E extends EventType>(type: E, listener: (e: EventOfType<E>) => void): this {
    this.emitterMode = true;
    this.queue.clear();
    let s = this.listeners.get(type);
    if (s === undefined) this.listeners.set(type, (s = new Set()));
    s.add(listener as Listener);
    return this;
  }

  off<E extends EventType>(type: E, listener: (e: EventOfType<E>) => void): this {
    this.listeners.get(type)?.delete(listener as Listener);
    return this;
  }

  receive(): Promise<Event> {
    // zeromq.js: an observer its socket closed, or closed while a receive waited, is ENOTSOCK
    if (this.emitterMode && this.isClosed) return Promise.reject(zmqError("ENOTSOCK"));
    if (this.emitterMode) {
      throw new Error(
        "Observer is in event emitter mode. After a call to events.on() it is not possible to read events with events.receive().",
      );
    }
    const e = this.queue.shift();
    if (e !== undefined) return Promise.resolve(e as Event);
    // its socket is closed and every event read: zeromq.js's EBADF
    if (this.isClosed) return Promise.reject(zmqError("EBADF", "Socket is closed"));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Event> {
    for (;;) {
      try {
        yield await this.receive();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code === "EAGAIN" || code === "EBADF" || code === "ENOTSOCK") && this.isClosed) return;
        throw err;
      }
    }
  }

  /** Internal: deliver one event. Listeners run in a microtask of their own,
   * never inside the caller (an engine's parse loop): a listener that throws
   * reaches the process as an uncaught exception, as from an EventEmitter, and
   * never fails the connection that reported the event. */
  emit(e: EventRecord): void {
    if (this.isClosed) return;
    if (this.emitterMode) {
      const s = this.listeners.get(e.type);
      if (s) for (const l of s) queueMicrotask(() => s.has(l) && l(e as never));
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(e as Event);
      return;
    }
    if (this.queue.length >= MAX_QUEUED) this.queue.shift();
    this.queue.push(e);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    let w;
    while ((w = this.waiters.shift()) !== undefined) w.reject(zmqError("ENOTSOCK"));
  }
}
