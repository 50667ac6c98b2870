// What every socket class shares beyond the Socket base: option accessors
// from the option table, and send/receive/async iteration on the prototype.
import type { ZmqError } from "../core/errors.js";
import type { MessageLike, Msg } from "../core/message.js";
import { isWriteOnly, optionNamesFor } from "../core/options.js";
import type { SocketTypeDescriptor } from "../core/socket-type.js";
import { CHECK_EVERY } from "./loop-turn.js";
import { installNumericOptions } from "./numeric-options.js";
import { Socket } from "./socket.js";

const DONE: IteratorResult<Msg> = Object.freeze({ value: undefined, done: true }) as IteratorResult<Msg>;

/** Install option accessors on a socket class's prototype. */
export function defineOptions(cls: { prototype: object }, type: SocketTypeDescriptor): void {
  for (const name of optionNamesFor(type)) {
    const writeOnly = isWriteOnly(name);
    Object.defineProperty(cls.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: Socket) {
        return writeOnly ? undefined : this._getOption(name);
      },
      set(this: Socket, v: unknown) {
        this._setOption(name, v);
      },
    });
  }
}

// send/receive/async iteration exist at run time on every socket (so a misuse
// rejects with ENOTSUP); the TypeScript types offer them only where they apply.
let installed = false;
export function installSocketMethods(): void {
  if (installed) return;
  installed = true;
  installNumericOptions(Socket.prototype);
  Object.defineProperties(Socket.prototype, {
    send: {
      value(this: Socket, message: MessageLike | MessageLike[]) {
        return this._send(message);
      },
      writable: true,
      configurable: true,
    },
    receive: {
      value(this: Socket) {
        return this._receive();
      },
      writable: true,
      configurable: true,
    },
    [Symbol.asyncIterator]: {
      value(this: Socket): AsyncIterator<Msg> {
        return {
          next: (): Promise<IteratorResult<Msg>> => {
            if (this.closed) return Promise.resolve(DONE);
            // fast path: one promise per message when one is already waiting
            if (this._info.canReceive) {
              try {
                const m = this._tryReceive();
                // now and then after a turn of the event loop (loop-turn.ts)
                if (m !== undefined) {
                  return ++this._syncOps < CHECK_EVERY ? Promise.resolve({ value: m, done: false }) : this._receiveTurn({ value: m, done: false });
                }
              } catch (e) {
                return Promise.reject(e);
              }
            }
            return this._receive().then(
              (value) => ({ value, done: false }),
              (e: ZmqError) => {
                if (e.code === "EAGAIN" && this.closed) return DONE;
                throw e;
              },
            );
          },
          return: async (): Promise<IteratorResult<Msg>> => ({ value: undefined, done: true }),
        };
      },
      writable: true,
      configurable: true,
    },
  });
}
