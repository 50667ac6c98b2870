// ipc:///path (unix domain sockets) and ipc://@name (Linux abstract namespace)
// over node:net. Same engine and sessions as tcp (stream.ts).
//
// A stale socket file left by a dead process is replaced; a live one is
// EADDRINUSE. A path too long for sockaddr_un is ENAMETOOLONG, never
// truncated. Node 20 pads abstract names to the full sun_path, so ipc://@name
// reaches omq peers but not libzmq's abstract sockets (README).
import { existsSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { type Server, createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Endpoint } from "../lib/core/endpoint.js";
import { fromSystemError, zmqError } from "../lib/core/errors.js";
import { listenFailure } from "./listen-error.js";
import { StreamListener, connectStream } from "./stream.js";
import type { Binding, ConnectOptions, Connection, Transport, TransportHost } from "../lib/core/transport.js";

/** sizeof(sockaddr_un.sun_path) on Linux, less the terminating NUL. */
const MAX_PATH_BYTES = 107;

function socketPath(ep: Extract<Endpoint, { transport: "ipc" }>): string {
  const bytes = Buffer.byteLength(ep.path) + (ep.abstract ? 1 : 0);
  if (bytes > MAX_PATH_BYTES) {
    throw zmqError("ENAMETOOLONG", `ipc path is ${bytes} bytes; a unix socket allows ${MAX_PATH_BYTES}`, ep.address);
  }
  return ep.abstract ? `\0${ep.path}` : ep.path;
}

function listen(server: Server, path: string, backlog: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen({ path, backlog }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

/** Is something accepting on this path? (a stale file refuses) */
function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ path });
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

/** Only a socket file may be replaced, never a regular file someone put there. */
function isSocketFile(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

export const ipcTransport: Transport = {
  schemes: ["ipc"],
  rawStreams: true,

  async bind(ep: Endpoint, host: TransportHost): Promise<Binding> {
    if (ep.transport !== "ipc") throw zmqError("EINVAL");
    let e = ep;
    let madeDir: string | undefined;
    if (!ep.abstract && ep.path === "*") {
      // libzmq: ipc://* binds a fresh path in the temp dir
      madeDir = mkdtempSync(join(tmpdir(), "omq-ipc-"));
      e = { ...ep, path: join(madeDir, "socket") };
    }
    const path = socketPath(e);
    const address = e.abstract ? `ipc://@${e.path}` : `ipc://${e.path}`;
    const server = createServer({ noDelay: true, pauseOnConnect: true });
    try {
      await listen(server, path, host.options.backlog);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EADDRINUSE" || e.abstract || !isSocketFile(path) || (await alive(path))) {
        // a directory that does not exist: ENOENT, as libzmq (Node says EACCES)
        if (code === "EACCES" && !e.abstract && !existsSync(dirname(path))) {
          host.emit({ type: "close", address: ep.address });
          throw zmqError("ENOENT", undefined, ep.address);
        }
        throw listenFailure(err, ep.address, host, ep.address);
      }
      // a stale socket file from a dead process: replace it
      try {
        unlinkSync(path);
      } catch {
        // raced with someone else: listen reports it
      }
      await listen(server, path, host.options.backlog).catch((err2: unknown) => {
        throw fromSystemError(err2, ep.address);
      });
    }
    // the directory ipc://* made goes with the listener (after the socket file)
    const removeDir = madeDir === undefined ? undefined : () => server.once("close", () => rmSync(madeDir!, { recursive: true, force: true }));
    return new StreamListener(server, address, host, removeDir);
  },

  connect(ep: Endpoint, host: TransportHost, opts: ConnectOptions): Connection {
    if (ep.transport !== "ipc") throw zmqError("EINVAL");
    const path = socketPath(ep);
    return connectStream({ dial: (onread) => createConnection({ path, onread }), starts: "at once" }, ep.address, host, opts);
  },
};
