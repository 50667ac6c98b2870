// What this build can do (zeromq.js's `capability`) and which libzmq it
// matches. Transports are looked up at call time; CURVE is switched on by the
// entry that brings its crypto (index.ts; not the browser entry).
import { hasTransport } from "../core/transport.js";

let curveAvailable = false;
let curvePreload: (() => void) | undefined;

/** The entry point has the CURVE mechanism's crypto; `preload` starts
 * loading it (a socket does when CURVE is chosen, before its first handshake). */
export function enableCurve(preload: () => void): void {
  curveAvailable = true;
  curvePreload = preload;
}

/** A socket chose CURVE: get its crypto ready. */
export function preloadCurve(): void {
  curvePreload?.();
}

/** The libzmq version whose behaviour omq matches (ported code gates on it). */
export const version = "4.3.5";
/** omq's own package version. */
export const omqVersion = "0.1.0";

/** What this build can do; transports are looked up at call time. */
export const capability = {
  get ipc() {
    return hasTransport("ipc");
  },
  get tcp() {
    return hasTransport("tcp");
  },
  get inproc() {
    return hasTransport("inproc");
  },
  get pgm() {
    return hasTransport("pgm");
  },
  get epgm() {
    return hasTransport("epgm");
  },
  get ws() {
    return hasTransport("ws");
  },
  get wss() {
    return hasTransport("wss");
  },
  /** CURVE needs the crypto the Node entry brings (not in a browser). */
  get curve() {
    return curveAvailable;
  },
  gssapi: false,
  norm: false,
  tipc: false,
  draft: false,
};
