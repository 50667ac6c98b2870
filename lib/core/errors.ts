// Errors carry a string `code` (as zeromq.js), the Linux `errno` where libzmq
// has one, and the `address` of the endpoint where it applies.

const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, ENODEV: 19, EINVAL: 22, EMFILE: 24, EPIPE: 32, ENAMETOOLONG: 36,
  EPROTO: 71, EMSGSIZE: 90, ENOTSOCK: 88, EPROTONOSUPPORT: 93, ENOTSUP: 95,
  EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETDOWN: 100,
  ENETUNREACH: 101, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105,
  ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113,
  // libzmq's own numbers (ZMQ_HAUSNUMERO = 156384712)
  EFSM: 156384763, ENOCOMPATPROTO: 156384764, ETERM: 156384765, EMTHREAD: 156384766,
};

const MESSAGES: Record<string, string> = {
  EAGAIN: "Operation was not possible or timed out",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "Host unreachable",
  EBADF: "Socket is closed",
  ENOTSOCK: "Socket operation on non-socket",
  EINVAL: "Invalid argument",
  EPROTONOSUPPORT: "Protocol not supported",
  ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENOENT: "No such endpoint",
  ENOTSUP: "Operation not supported",
  ENAMETOOLONG: "File name too long",
  EMSGSIZE: "Message too long",
  EPROTO: "Protocol error",
  EFAULT: "Context is closed",
  // the rest as libzmq reports them: the C library's strerror()
  EPERM: "Operation not permitted",
  EINTR: "Interrupted system call",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  ENODEV: "No such device",
  EMFILE: "Too many open files",
  EPIPE: "Broken pipe",
  EAFNOSUPPORT: "Address family not supported by protocol",
  ENETDOWN: "Network is down",
  ENETUNREACH: "Network is unreachable",
  ECONNABORTED: "Software caused connection abort",
  ECONNRESET: "Connection reset by peer",
  ENOBUFS: "No buffer space available",
  ENOTCONN: "Transport endpoint is not connected",
  ETIMEDOUT: "Connection timed out",
  ECONNREFUSED: "Connection refused",
};

export class ZmqError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  address?: string;
  constructor(code: string, message?: string, options?: { address?: string; cause?: unknown }) {
    super(message ?? MESSAGES[code] ?? code, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "ZmqError";
    this.code = code;
    this.errno = ERRNO[code];
    if (options?.address !== undefined) this.address = options.address;
  }
}

export function zmqError(code: string, message?: string, address?: string): ZmqError {
  return new ZmqError(code, message, address !== undefined ? { address } : undefined);
}

/** Wrap a Node system error (from net, fs...) keeping its code: the message
 * is libzmq's text for the code (as zeromq.js gives it), then Node's. */
export function fromSystemError(err: unknown, address?: string): ZmqError {
  if (err instanceof ZmqError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : "EINVAL";
  const detail = e?.message ?? String(err);
  const text = MESSAGES[code];
  return new ZmqError(code, text === undefined ? detail : `${text} (${detail})`, { address, cause: err });
}

/** ECONNRESET for a stream whose peer closed it, without a stack trace: one
 * is made for most connections that end, and a trace of the event callback
 * that noticed says nothing (capturing it was ~20 µs of a connection's CPU). */
export function peerClosedError(): ZmqError {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  // Reflect.set: a realm with frozen intrinsics refuses quietly
  if (typeof limit !== "number" || !Reflect.set(E, "stackTraceLimit", 0)) return new ZmqError("ECONNRESET");
  try {
    return new ZmqError("ECONNRESET");
  } finally {
    E.stackTraceLimit = limit;
  }
}

/** Any thrown value as a ZmqError, keeping a Node error's code (default EPROTO). */
export function toZmqError(err: unknown): ZmqError {
  if (err instanceof ZmqError) return err;
  if (typeof err === "string") return new ZmqError(err);
  const e = err as NodeJS.ErrnoException;
  return new ZmqError(typeof e?.code === "string" ? e.code : "EPROTO", e?.message ?? String(err), { cause: err });
}

/** An option value out of range: RangeError with code EINVAL (as zeromq.js). */
export class OptionRangeError extends RangeError {
  readonly code = "EINVAL";
  readonly errno = ERRNO.EINVAL;
}
