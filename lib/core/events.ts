// The records a socket's Observer delivers (zeromq.js's event shapes). Transports
// and sessions produce them through TransportHost.emit; the Observer lives in the API.

export type EventType =
  | "bind" | "bind:error" | "accept" | "accept:error" | "connect" | "connect:delay"
  | "connect:retry" | "close" | "close:error" | "disconnect" | "handshake"
  | "handshake:error:protocol" | "handshake:error:auth" | "handshake:error:other" | "end"
  | "pgm:loss";

export interface EventError extends Error {
  code?: string;
  errno?: number;
  address?: string;
  status?: number;
}

export interface Event {
  type: EventType;
  address?: string;
  interval?: number;
  error?: EventError;
  /** pgm:loss: how many whole messages could not be repaired. */
  lost?: number;
}

