// The one entry point for test helpers: every test imports from here. The
// code lives in test/support/, one file per subject.
export * from "./support/waits.js"; // until, within, sleep, settled, nextEvent
export * from "./support/sockets.js"; // T, addresses, closeAll/useSockets, collect, drain...
export * from "./support/transports.js"; // TestTransport, transports, eventsSeen, tempDir
export * from "./support/data.js"; // payloads (noiseBytes, rampBytes), str, digest, assertFrames
export * from "./support/raw-peer.js"; // RawPeer and hand-built ZMTP bytes
export * from "./support/legacy-peer.js"; // a ZMTP 2.0 / 1.0 peer written from RFC 15 and RFC 13
export * from "./support/interop.js"; // makeSocket over omq and zeromq.js
export * from "./support/pgm.js"; // multicast endpoints, pgm hooks and stats
export * from "./support/zmtp.js"; // ZMTP encoders/parsers only tests use
// test/support/curve-peer.ts (a CurveZMQ client and server written from RFC
// 25/26) is imported directly: it loads libsodium, which most tests do not need
