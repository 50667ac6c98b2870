// What a Context's tap is told: the life of every message its sockets handle.
// omq/testing installs one to trace each message's fate; nothing is installed
// otherwise, and each site costs one field test.
import type { Msg } from "./message.js";
import type { DropReason } from "./pattern.js";

export type { DropReason };

export interface MessageTap {
  opened(socket: object): void;
  closed(socket: object): void;
  /** The socket's pattern took `msg` (it may still have dropped it). */
  sent(socket: object, msg: Msg): void;
  /** receive() handed `msg` to the application. */
  received(socket: object, msg: Msg): void;
  /** The pattern dropped `msg` (PUB at a peer's HWM, ROUTER without the peer...). */
  dropped(socket: object, msg: Msg, reason: DropReason): void;
}
