// omq's public API (as zeromq.js v6's main entry), as far as it runs anywhere:
// the Node entry (index.ts) adds curveKeyPair (node:crypto); nothing is
// registered here: the entry points register the transports and socket types.

export { Context, context, type ContextOptions, type SharedContext } from "./core/context.js";
export {
  setAuthenticator, type Authenticator, type ZapDecision, type ZapFunction, type ZapRequest,
} from "./api/authenticator.js";
export { ZmqError } from "./core/errors.js";
export type { MessageLike } from "./core/message.js";
export { Observer, type Event, type EventOfType, type EventType, type EventError } from "./api/observer.js";
export { messageMetadata, type MessageMeta } from "./core/message.js";
export { Proxy } from "./api/proxy.js";
export { Socket } from "./api/socket.js";
export {
  type SocketOptions, type WritableOptions, type ReadableOptions, type Writable, type Readable, type RoutingOptions,
  type PublisherOptions, type SubscriberOptions, type RequestOptions, type DealerOptions, type RouterOptions,
  type PushPullOptions, type XPublisherOptions, type StreamOptions, type SocketTypeString,
  Pair, Publisher, Subscriber, Request, Reply, Dealer, Router, Push, Pull, XPublisher, XSubscriber, Stream, socket,
} from "./api/socket-classes.js";

export { version, omqVersion, capability } from "./api/capability.js";
