// A socket that dials reads large bodies straight into their own buffer
// (transports/stream.ts DirectReads, net's `onread`): one copy, big reads.
// What must hold: every byte of every frame, in order, whatever the sizes,
// multipart layout or back-pressure; and the path must really be taken.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Pull, Push } from "../../index.js";
import { StreamEngine } from "../../lib/zmtp/stream-engine.js";
import { ipcTransport, tcpTransport, sleep } from "../helpers.js";

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  vi.restoreAllMocks();
});

/** A body whose every byte depends on (message, frame, offset). */
function body(i: number, f: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = (i * 131 + f * 17 + k * 7 + (k >> 12)) & 0xff;
  return b;
}

const SIZES = [1 << 20, 65_536, 300_001, 2_000_000, 1, 131_072, 700_000];

for (const t of [tcpTransport, ipcTransport]) {
  describe(`${t.name}: a dialing PULL receives large messages intact`, () => {
    it("single frames of 1 B to 2 MB, in order, with direct reads taken", async () => {
      const spy = vi.spyOn(StreamEngine.prototype, "directRead");
      const push = new Push({ linger: 0 });
      const pull = new Pull({ linger: 0 });
      open.push(push, pull);
      await push.bind(t.address());
      pull.connect(push.lastEndpoint!);
      const n = 20;
      const sending = (async () => {
        for (let i = 0; i < n; i++) await push.send(body(i, 0, SIZES[i % SIZES.length]!));
      })();
      for (let i = 0; i < n; i++) {
        const [m] = await pull.receive();
        expect(m!.equals(body(i, 0, SIZES[i % SIZES.length]!))).toBe(true);
      }
      await sending;
      expect(spy).toHaveBeenCalled();
    }, 60_000);

    it("multipart with large frames among small ones, and a reader that waits (RCVHWM 2) before it reads", async () => {
      const push = new Push({ linger: 0 });
      const pull = new Pull({ linger: 0, receiveHighWaterMark: 2 });
      open.push(push, pull);
      await push.bind(t.address());
      pull.connect(push.lastEndpoint!);
      const layout = (i: number) => [3, 500_000 + i, 0, 90_000, 1_200_000 - i].map((len, f) => body(i, f, len));
      const n = 8;
      const sending = (async () => {
        for (let i = 0; i < n; i++) await push.send(layout(i));
      })();
      // let the pipe fill and bytes pile up while nobody reads
      await sleep(300);
      for (let i = 0; i < n; i++) {
        const m = await pull.receive();
        const want = layout(i);
        expect(m.length).toBe(want.length);
        for (let f = 0; f < want.length; f++) expect(m[f]!.equals(want[f]!)).toBe(true);
      }
      await sending;
    }, 60_000);
  });
}

describe("tcp: memory behind a dialing PULL that does not read", () => {
  it("small messages arriving one read at a time do not each keep a 64 KiB read buffer alive", async () => {
    const push = new Push({ linger: 0 });
    const pull = new Pull({ linger: 0, receiveHighWaterMark: 10 });
    open.push(push, pull);
    await push.bind("tcp://127.0.0.1:*");
    pull.connect(push.lastEndpoint!);
    await push.send(Buffer.alloc(100, 1));
    const [first] = await pull.receive(); // connected and handshaken
    expect(first!.length).toBe(100);
    const before = process.memoryUsage().arrayBuffers;
    // one message per turn: each arrives in a read of its own; the PULL holds
    // 10 decoded and the rest as undecoded bytes (up to 256 KiB), then pauses
    for (let i = 0; i < 2000; i++) {
      await push.send(Buffer.alloc(100, 2));
      await new Promise((r) => setImmediate(r));
    }
    await sleep(100);
    const grown = process.memoryUsage().arrayBuffers - before;
    // 2000 x 100 B = 200 KB received; 2000 retained 64 KiB buffers would be 131 MB
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    for (let i = 0; i < 2000; i++) {
      const [m] = await pull.receive();
      if (m![0] !== 2 || m!.length !== 100) expect([m![0], m!.length]).toEqual([2, 100]);
    }
  }, 60_000);
});
