// tcp options that Node applies to the socket itself: each test fails if omq
// ignores the option (Node 20 can set keepalive on/off and its idle time, and
// the listen backlog; keepalive count/interval are stored only, see README).
import net from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Pull, Push } from "../../index.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const s of open.splice(0)) s.close();
});

describe("tcp socket options", () => {
  it("tcpKeepalive 1 with tcpKeepaliveIdle enables keepalive with that idle time (seconds)", async () => {
    const spy = vi.spyOn(net.Socket.prototype, "setKeepAlive");
    const pull = new Pull({ linger: 0 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    const push = new Push({ linger: 0, tcpKeepalive: 1, tcpKeepaliveIdle: 30, tcpKeepaliveCount: 3, tcpKeepaliveInterval: 5 });
    open.push(push);
    push.connect(pull.lastEndpoint!);
    await push.send("x");
    await pull.receive();
    expect(spy).toHaveBeenCalledWith(true, 30000);
    // stored, though Node 20 cannot apply them
    expect(push.tcpKeepaliveCount).toBe(3);
    expect(push.tcpKeepaliveInterval).toBe(5);
  });

  it("tcpKeepalive 0 disables it; the default (-1) leaves the OS default alone", async () => {
    const spy = vi.spyOn(net.Socket.prototype, "setKeepAlive");
    const pull = new Pull({ linger: 0 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    const off = new Push({ linger: 0, tcpKeepalive: 0 });
    open.push(off);
    off.connect(pull.lastEndpoint!);
    await off.send("x");
    await pull.receive();
    expect(spy.mock.calls).toEqual([[false]]);
    spy.mockClear();
    const dflt = new Push({ linger: 0 });
    open.push(dflt);
    dflt.connect(pull.lastEndpoint!);
    await dflt.send("y");
    await pull.receive();
    expect(spy).not.toHaveBeenCalled();
  });

  it("backlog is passed to listen()", async () => {
    const spy = vi.spyOn(net.Server.prototype, "listen");
    const pull = new Pull({ linger: 0, backlog: 7 });
    open.push(pull);
    await pull.bind("tcp://127.0.0.1:*");
    expect(spy.mock.calls[0]![0]).toMatchObject({ backlog: 7 });
  });
});
