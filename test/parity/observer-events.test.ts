// zeromq.js parity (#12 items 1 and 6): what a failed bind rejects with and
// which events the Observer reports (type, address, error code, errno and
// text) for failed binds and for connects that fail or succeed, on zeromq.js
// and omq alike.
import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listenFailure } from "../../transports/listen-error.js";
import { type Lib, same } from "./harness.js";

const T = 15_000;
type AnySocket = InstanceType<Lib["Dealer"]>;
const TYPES = ["bind", "bind:error", "accept", "connect", "connect:delay", "connect:retry", "close", "close:error", "handshake", "disconnect", "end"] as const;

/** Each distinct event as "type address code/errno/text", ports as PORT. */
function watch(s: AnySocket): string[] {
  const seen: string[] = [];
  for (const t of TYPES) {
    s.events.on(t, (e: { type: string; address?: string; error?: { code?: string; errno?: number; message: string } }) => {
      // omq may add detail after zeromq.js's text, in parentheses (README)
      const err = e.error === undefined ? "" : ` ${e.error.code}/${e.error.errno}/${e.error.message.replace(/ \(.*\)$/s, "")}`;
      const line = `${e.type} ${e.address ?? "-"}${err}`.replace(/:\d{2,5}\b/g, ":PORT");
      if (!seen.includes(line)) seen.push(line);
    });
  }
  return seen;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let taken: net.Server;
let port = 0;
let dir = "";

beforeAll(async () => {
  taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
  port = (taken.address() as net.AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), "omq-obs-"));
});
afterAll(() => {
  taken.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Bind `address` (a function of the taken port), then close; report the rejection and the events. */
async function failedBind(lib: Lib, address: () => string): Promise<string> {
  const s = new lib.Dealer();
  const events = watch(s);
  const r = await s.bind(address()).then(
    () => "bound",
    (e: { code?: string; errno?: number; message: string; address?: string }) => `rejected ${e.code}/${e.errno} ${e.address}`.replace(/:\d{2,5}\b/g, ":PORT"),
  );
  await sleep(50);
  s.close();
  await sleep(50);
  return [r, ...events].join("\n");
}

describe("a bind that fails", () => {
  test("tcp, the port in use: EADDRINUSE; `close` (no address), then `bind:error` naming host:port", async () => {
    const z = await same((lib) => failedBind(lib, () => `tcp://127.0.0.1:${port}`));
    expect(z.value).toContain("bind:error 127.0.0.1:PORT EADDRINUSE/98/Address already in use");
  }, T);

  test("ws, the port in use: the same", async () => {
    await same((lib) => failedBind(lib, () => `ws://127.0.0.1:${port}`));
  }, T);

  test("ipc, in a directory that does not exist: ENOENT \"No such endpoint\", `close` with the address", async () => {
    const z = await same((lib) => failedBind(lib, () => `ipc://${dir}/missing/s.sock`));
    expect(z.value).toContain("ENOENT/2/No such endpoint");
  }, T);

  test("tcp, an address this host does not have: EADDRNOTAVAIL", async () => {
    await same((lib) => failedBind(lib, () => "tcp://10.255.255.1:5555"));
  }, T);

  test("a name that is no interface is ENODEV (libzmq's errno; zeromq.js rejects it with a stale EAGAIN)", () => {
    const emitted: unknown[] = [];
    const host = { emit: (e: unknown) => emitted.push(e) } as unknown as Parameters<typeof listenFailure>[2];
    const dnsFailure = Object.assign(new Error("getaddrinfo ENOTFOUND nosuch"), { code: "ENOTFOUND", syscall: "getaddrinfo" });
    const e = listenFailure(dnsFailure, "tcp://nosuch:5555", host);
    expect([e.code, e.errno, e.message, emitted.length]).toEqual(["ENODEV", 19, "No such device", 0]);
    const inUse = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE", syscall: "listen" });
    expect(listenFailure(inUse, "tcp://x:1", host).message).toMatch(/^Address already in use/);
    expect(emitted).toEqual([{ type: "close" }]);
  });
});

/** connect(`address`), wait, close: the distinct events. */
async function connectEvents(lib: Lib, address: string, bindFirst?: string): Promise<string> {
  let server: AnySocket | undefined;
  if (bindFirst !== undefined) {
    server = new lib.Dealer();
    await server.bind(bindFirst);
    address = address.replace("PORT", server.lastEndpoint!.split(":").pop()!);
  }
  const s = new lib.Dealer({ reconnectInterval: 50 });
  const events = watch(s);
  s.connect(address);
  await sleep(300);
  s.close();
  server?.close();
  await sleep(50);
  return events.join("\n");
}

describe("connect events", () => {
  test("a refused tcp port: connect:delay, close, connect:retry", async () => {
    const z = await same((lib) => connectEvents(lib, "tcp://127.0.0.1:1"));
    expect(z.value).toMatch(/^connect:delay .*\nclose .*\nconnect:retry/);
  }, T);

  test("ipc, nothing there: no connect:delay (a unix connect fails at once)", async () => {
    const z = await same((lib) => connectEvents(lib, `ipc://${dir}/nobody.sock`));
    expect(z.value).not.toContain("connect:delay");
  }, T);

  test("ipc that succeeds: connect and handshake, no connect:delay", async () => {
    const path = `ipc://${dir}/up-${Math.random().toString(36).slice(2)}.sock`;
    const z = await same((lib) => connectEvents(lib, path, path));
    expect(z.value).toMatch(/^connect .*\nhandshake/);
  }, T);

  test("tcp by host name (localhost): connect:delay once the name resolved, then connect", async () => {
    const z = await same((lib) => connectEvents(lib, "tcp://localhost:PORT", "tcp://127.0.0.1:0"));
    expect(z.value).toMatch(/^connect:delay .*\nconnect /);
  }, T);
});
