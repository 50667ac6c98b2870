// RFC 6455 (WebSocket) and RFC 45 (ZWS 2.0) constants.

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

export const WS_FIN = 0x80;
export const WS_RSV = 0x70;
export const WS_MASKED = 0x80;
/** Control frames carry at most this much (RFC 6455 §5.5). */
export const CONTROL_MAX = 125;

/** The ZWS flags byte that starts every message (RFC 45). */
export const ZWS_MORE = 0x01;
export const ZWS_COMMAND = 0x02;

/** Close status (RFC 6455 §7.4.1): normal. A connection failed for bad
 * input is dropped without a close frame (RFC 6455 §7.1.7 allows it). */
export const CLOSE_NORMAL = 1000;

/** The RFC 6455 GUID for Sec-WebSocket-Accept. */
export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The subprotocol with no mechanism: routing ids first, then messages, no commands. */
export const ZWS_BARE = "ZWS2.0";
/** The subprotocol for a mechanism (NULL, PLAIN, CURVE). */
export function zwsProtocol(mechanism: string): string {
  return `ZWS2.0/${mechanism}`;
}
