// The descriptor of every socket type omq builds (lib/core/socket-type.ts):
// one entry per type holds everything about it. The package's entry point
// registers them.
import type { SocketTypeDescriptor } from "../lib/core/socket-type.js";
import { DealerPattern } from "./dealer.js";
import { PairPattern } from "./pair.js";
import { PullPattern } from "./pull.js";
import { PushPattern } from "./push.js";
import { RepPattern } from "./rep.js";
import { ReqPattern } from "./req.js";
import { RouterPattern } from "./router.js";
import { StreamPattern } from "./stream.js";
import { PubPattern, XPubPattern } from "./xpub.js";
import { SubPattern, XSubPattern } from "./xsub.js";

export const SOCKET_TYPES: readonly SocketTypeDescriptor[] = [
  {
    name: "pair", number: 0, zmtp: "PAIR", peers: ["PAIR"], canSend: true, canReceive: true,
    options: [], sendsIdentity: false, createPattern: (h) => new PairPattern(h),
  },
  {
    name: "pub", number: 1, zmtp: "PUB", peers: ["SUB", "XSUB"], canSend: true, canReceive: false,
    options: ["conflate", "invertMatching", "noDrop"], sendsIdentity: false, subscriptions: "takes",
    createPattern: (h) => new PubPattern(h),
  },
  {
    name: "sub", number: 2, zmtp: "SUB", peers: ["PUB", "XPUB"], canSend: false, canReceive: true,
    options: ["conflate", "invertMatching"], sendsIdentity: false, subscriptions: "sends", defaultLinger: 0,
    createPattern: (h) => new SubPattern(h),
  },
  {
    name: "req", number: 3, zmtp: "REQ", peers: ["REP", "ROUTER"], canSend: true, canReceive: true,
    options: ["routingId", "correlate", "relaxed", "probeRouter"], sendsIdentity: true,
    createPattern: (h) => new ReqPattern(h),
  },
  {
    name: "rep", number: 4, zmtp: "REP", peers: ["REQ", "DEALER"], canSend: true, canReceive: true,
    options: ["routingId"], sendsIdentity: false, createPattern: (h) => new RepPattern(h),
  },
  {
    name: "dealer", number: 5, zmtp: "DEALER", peers: ["REP", "DEALER", "ROUTER"], canSend: true, canReceive: true,
    options: ["routingId", "probeRouter", "conflate"], sendsIdentity: true, createPattern: (h) => new DealerPattern(h),
  },
  {
    name: "router", number: 6, zmtp: "ROUTER", peers: ["REQ", "DEALER", "ROUTER"], canSend: true, canReceive: true,
    options: ["routingId", "mandatory", "handover", "probeRouter"], sendsIdentity: true,
    createPattern: (h) => new RouterPattern(h),
  },
  {
    name: "pull", number: 7, zmtp: "PULL", peers: ["PUSH"], canSend: false, canReceive: true,
    options: ["conflate"], sendsIdentity: false, createPattern: (h) => new PullPattern(h),
  },
  {
    name: "push", number: 8, zmtp: "PUSH", peers: ["PULL"], canSend: true, canReceive: false,
    options: ["conflate"], sendsIdentity: false, createPattern: (h) => new PushPattern(h),
  },
  {
    name: "xpub", number: 9, zmtp: "XPUB", peers: ["SUB", "XSUB"], canSend: true, canReceive: true,
    options: ["noDrop", "invertMatching", "manual", "welcomeMessage", "verbosity"], sendsIdentity: false,
    subscriptions: "takes", createPattern: (h) => new XPubPattern(h),
  },
  {
    name: "xsub", number: 10, zmtp: "XSUB", peers: ["PUB", "XPUB"], canSend: true, canReceive: true,
    options: [], sendsIdentity: false, subscriptions: "sends", defaultLinger: 0, createPattern: (h) => new XSubPattern(h),
  },
  {
    name: "stream", number: 11, zmtp: "STREAM", peers: [], canSend: true, canReceive: true,
    options: ["notify"], sendsIdentity: false, raw: true, createPattern: (h) => new StreamPattern(h),
  },
];
