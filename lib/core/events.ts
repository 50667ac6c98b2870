// The records a socket's Observer delivers (zeromq.js's event shapes). Transports
// and sessions produce them through TransportHost.emit; the Observer lives in the API.

export type EventType =
  | "bind" | "bind:error" | "accept" | "accept:error" | "connect" | "connect:delay"
  | "connect:retry" | "close" | "close:error" | "disconnect" | "handshake"
  | "handshake:error:protocol" | "handshake:error:auth" | "handshake:error:other" | "end"
  | "pgm:loss" | "unknown";

export interface EventError extends Error {
  code?: string;
  errno?: number;
  address?: string;
  status?: number;
}

/** An event as transports and sessions report it (one shape for all types);
 * the Observer hands it to the application as the typed `Event`. */
export interface EventRecord {
  type: EventType;
  address?: string;
  interval?: number;
  error?: EventError;
  /** pgm:loss: how many whole messages could not be repaired. */
  lost?: number;
}


type EventFor<T extends EventType, D = {}> = { type: T } & D;
type Addr = { address: string };
type Err<E extends EventError = EventError> = { error: E };

/** What an Observer delivers, by type (zeromq.js's `Event` union): `address`
 * on every connection event, `interval` on connect:retry, `error` on the
 * error events; "unknown" is never emitted (zeromq.js's catch-all). */
export type Event =
  | EventFor<"accept", Addr> | EventFor<"accept:error", Addr & Err> | EventFor<"bind", Addr> | EventFor<"bind:error", Addr & Err>
  | EventFor<"connect", Addr> | EventFor<"connect:delay", Addr> | EventFor<"connect:retry", Addr & { interval: number }>
  | EventFor<"close", Addr> | EventFor<"close:error", Addr & Err> | EventFor<"disconnect", Addr & Partial<Err>> | EventFor<"end">
  | EventFor<"handshake", Addr> | EventFor<"handshake:error:protocol", Addr & Err> | EventFor<"handshake:error:auth", Addr & Err>
  | EventFor<"handshake:error:other", Addr & Err> | EventFor<"pgm:loss", Addr & { lost: number }> | EventFor<"unknown">;

/** The event of one type (zeromq.js's `EventOfType<"bind">`). */
export type EventOfType<E extends EventType = EventType> = Extract<Event, { type: E }>;
