// With the ipv6 option a tcp host name resolves to IPv6 as well as IPv4
// (libzmq ZMQ_IPV6); without it, names resolve to IPv4 only.
import dns from "node:dns";
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Pull, Push } from "../../index.js";

/** Whether this host can listen on the IPv6 loopback at all. */
function canListen(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen({ host, port: 0 }, () => s.close(() => resolve(true)));
  });
}

/** Whether `localhost` has an IPv6 address here (many hosts list only 127.0.0.1). */
function localhostHasV6(): Promise<boolean> {
  return new Promise((resolve) => {
    dns.lookup("localhost", { all: true, family: 6 }, (err, addrs) => resolve(!err && addrs.some((a) => a.address === "::1")));
  });
}

const hasV6 = await canListen("::1");
const localV6 = hasV6 && (await localhostHasV6());
if (!hasV6) console.warn("tcp-ipv6-names: this host cannot listen on ::1; the IPv6 tests are skipped");
else if (!localV6) console.warn("tcp-ipv6-names: `localhost` has no IPv6 address on this host; the localhost case is skipped (the stub-resolver case covers it)");

/** A name that exists only as ::1, as a resolver for an IPv6-only host answers. */
const V6_ONLY = "v6only.omq.test";
/** A name listing 127.0.0.1 before ::1 (as /etc/hosts often orders localhost). */
const V4_FIRST = "v4first.omq.test";

/** Stubs dns.lookup for the two test names (the rest resolve as usual) and
 * records the family and hints each lookup asked for. */
function stubResolver(): Array<{ family: number | undefined; hints: number | undefined }> {
  const seen: Array<{ family: number | undefined; hints: number | undefined }> = [];
  const real = dns.lookup;
  const table: Record<string, dns.LookupAddress[]> = {
    [V6_ONLY]: [{ address: "::1", family: 6 }],
    [V4_FIRST]: [
      { address: "127.0.0.1", family: 4 },
      { address: "::1", family: 6 },
    ],
  };
  vi.spyOn(dns, "lookup").mockImplementation(((host: string, opts: unknown, cb: unknown) => {
    const known = table[host];
    if (known === undefined) return (real as (...a: unknown[]) => void).call(dns, host, opts, cb);
    const o = (typeof opts === "object" && opts !== null ? opts : { family: opts }) as dns.LookupAllOptions;
    seen.push({ family: o.family as number | undefined, hints: o.hints });
    const done = cb as (...a: unknown[]) => void;
    const addrs = known.filter((a) => o.family === undefined || o.family === 0 || a.family === o.family);
    if (addrs.length === 0) {
      process.nextTick(done, Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" }));
    } else if (o.all) process.nextTick(done, null, addrs);
    else process.nextTick(done, null, addrs[0]!.address, addrs[0]!.family);
  }) as typeof dns.lookup);
  return seen;
}

const open: Array<{ close(): void; closed: boolean }> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const s of open.splice(0)) if (!s.closed) s.close();
});

async function v6Listener(): Promise<{ pull: Pull; port: string }> {
  const pull = new Pull({ linger: 0, ipv6: true, receiveTimeout: 3000 });
  open.push(pull);
  await pull.bind("tcp://[::1]:*");
  return { pull, port: pull.lastEndpoint!.split(":").pop()! };
}

describe("tcp host names and the ipv6 option", () => {
  it.skipIf(!hasV6)("ipv6: a host name that resolves only to ::1 is reached", async () => {
    const seen = stubResolver();
    const { pull, port } = await v6Listener();
    const push = new Push({ linger: 0, ipv6: true });
    open.push(push);
    push.connect(`tcp://${V6_ONLY}:${port}`);
    await push.send("by v6 name");
    const got = await pull.receive().catch((e: { code?: string }) => {
      const asked = seen.map((s) => s.family).join(",");
      throw new Error(`nothing arrived over ${V6_ONLY} (${e.code}); the resolver was asked for families [${asked}]`);
    });
    expect(got[0]!.toString()).toBe("by v6 name");
    // AI_ADDRCONFIG would hide ::1 on hosts whose only IPv6 address is the loopback; libzmq does not set it
    expect(seen.every((s) => ((s.hints ?? 0) & dns.ADDRCONFIG) === 0)).toBe(true);
  });

  it.skipIf(!hasV6)("ipv6: a name resolving to 127.0.0.1 first still reaches a listener bound only on [::1]", async () => {
    stubResolver();
    const { pull, port } = await v6Listener();
    const push = new Push({ linger: 0, ipv6: true });
    open.push(push);
    push.connect(`tcp://${V4_FIRST}:${port}`);
    await push.send("v4 first");
    expect((await pull.receive())[0]!.toString()).toBe("v4 first");
  });

  it.skipIf(!localV6)("ipv6: localhost reaches a listener bound only on [::1]", async () => {
    const { pull, port } = await v6Listener();
    const push = new Push({ linger: 0, ipv6: true });
    open.push(push);
    push.connect(`tcp://localhost:${port}`);
    await push.send("by localhost");
    expect((await pull.receive())[0]!.toString()).toBe("by localhost");
  });

  it.skipIf(!hasV6)("without ipv6 a host name resolves to IPv4 only", async () => {
    const seen = stubResolver();
    const { pull, port } = await v6Listener();
    const push = new Push({ linger: 0, reconnectInterval: 20 });
    open.push(push);
    push.connect(`tcp://${V6_ONLY}:${port}`);
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(2), { timeout: 3000 });
    expect(seen.every((s) => s.family === 4)).toBe(true);
    pull.receiveTimeout = 100;
    await expect(pull.receive()).rejects.toMatchObject({ code: "EAGAIN" });
  });
});
