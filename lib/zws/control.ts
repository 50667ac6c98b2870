// RFC 6455 control frames (close, ping, pong) as omq writes them.
import { ZmqError } from "../core/errors.js";
import { WS_FIN, WS_MASKED } from "./constants.js";
import { applyMask, randomMaskKey } from "./mask.js";

/** A control frame (payload at most 125 bytes), masked from a client. */
export function controlFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  if (payload.length > 125) throw new ZmqError("EINVAL", "WebSocket control payload over 125 bytes");
  const h = masked ? 6 : 2;
  const f = Buffer.allocUnsafe(h + payload.length);
  f[0] = WS_FIN | opcode;
  f[1] = (masked ? WS_MASKED : 0) | payload.length;
  payload.copy(f, h);
  if (masked) {
    const key = randomMaskKey();
    f.writeUInt32BE(key, 2);
    applyMask(f, h, f.length, key, 0);
  }
  return f;
}

