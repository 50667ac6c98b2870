// multicastHops reaches the datagram socket as its multicast TTL. (Loopback
// and veth ignore the TTL, so delivery cannot show it; the socket call can.)
import dgram from "node:dgram";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Publisher } from "../../index.js";
import { mcastEndpoint, useSockets } from "../helpers.js";

const track = useSockets();
afterEach(() => {
  vi.restoreAllMocks();
});

describe("pgm socket options", () => {
  it("multicastHops sets the sender's multicast TTL (default 1)", { timeout: 5000 }, async () => {
    const spy = vi.spyOn(dgram.Socket.prototype, "setMulticastTTL");
    const a = track(new Publisher({ linger: 0, multicastHops: 7 }));
    await a.bind(mcastEndpoint());
    expect(spy).toHaveBeenCalledWith(7);
    spy.mockClear();
    const b = track(new Publisher({ linger: 0 }));
    await b.bind(mcastEndpoint());
    expect(spy).toHaveBeenCalledWith(1);
  });
});
