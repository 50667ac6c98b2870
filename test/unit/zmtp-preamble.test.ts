// The staged greeting (lib/zmtp/zmtp-codec.ts): what omq sends at each step,
// whatever the revision of the peer, fed one byte at a time and whole.
import { describe, expect, it } from "vitest";
import type { PeerPreamble } from "../../lib/zmtp/framing.js";
import { encodeGreeting } from "../../lib/zmtp/greeting.js";
import { zmtpCodec } from "../../lib/zmtp/zmtp-codec.js";

const T = 5000;
const self = { mechanism: "NULL", asServer: false, socketType: 5, routingId: Buffer.from("me") };

/** Feed `peer` in pieces of `step` bytes; returns what we sent in stages and the result. */
function run(peer: Buffer, step: number) {
  const codec = zmtpCodec(self);
  const sent: Buffer[] = [codec.preamble.start()!];
  let done: { peer: PeerPreamble; rest: Buffer } | undefined;
  for (let i = 0; i < peer.length && done === undefined; i += step) {
    done = codec.preamble.feed(peer.subarray(i, Math.min(peer.length, i + step)), (b) => sent.push(Buffer.from(b)));
    if (done !== undefined) done.rest = Buffer.concat([done.rest, peer.subarray(i + step)]);
  }
  return { sent, done };
}

const ours = encodeGreeting("NULL", false);
ours.writeUInt32BE(3, 5); // padding: identity length ("me") + 1, as libzmq

describe("the staged ZMTP greeting", () => {
  for (const step of [1, 7, 1000]) {
    it(`to a 3.1 peer (pieces of ${step}): signature, then major, then the rest: the 64 bytes libzmq sends`, () => {
      const peer = Buffer.concat([encodeGreeting("NULL", false), Buffer.from([0x04, 0x05, 0x04, 0x52])]);
      const { sent, done } = run(peer, step);
      expect(sent.map((b) => b.length)).toEqual([10, 1, 53]);
      expect(Buffer.concat(sent).equals(ours)).toBe(true);
      expect(done!.peer).toEqual({ mechanism: "NULL", asServer: false, subscriptionCommands: true });
      expect([...done!.rest]).toEqual([0x04, 0x05, 0x04, 0x52]);
    }, T);

    it(`to a 2.0 peer (pieces of ${step}): signature, major, then our socket type and identity frame`, () => {
      const peer = Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 3, 0x7f, 1, 6]), Buffer.from([0, 2]), Buffer.from("id"), Buffer.from([0, 1, 0x41])]);
      const { sent, done } = run(peer, step);
      expect(Buffer.concat(sent.slice(1)).equals(Buffer.from([3, 5, 0, 2, 0x6d, 0x65]))).toBe(true);
      expect(done!.peer.legacy).toEqual({ revision: "2.0", socketType: 6, identity: Buffer.from("id") });
      expect(done!.peer.subscriptionCommands).toBe(false);
      expect([...done!.rest]).toEqual([0, 1, 0x41]);
    }, T);

    it(`to a ZeroMQ 2.x (RFC 13) peer (pieces of ${step}): the signature was our identity's header; its body follows`, () => {
      const peer = Buffer.from([0x03, 0x00, 0x68, 0x69, 0x02, 0x00, 0x41]);
      const { sent, done } = run(peer, step);
      expect(Buffer.concat(sent.slice(1)).toString()).toBe("me");
      expect(done!.peer.legacy).toEqual({ revision: "unversioned", identity: Buffer.from("hi") });
      expect([...done!.rest]).toEqual([0x02, 0x00, 0x41]);
    }, T);
  }

  it("a revision-0 greeting speaks ZMTP 1.0 framing after it", () => {
    const peer = Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0, 8]), Buffer.from([0x01, 0x00])]);
    const { sent, done } = run(peer, 1000);
    expect([...Buffer.concat(sent.slice(1))]).toEqual([3, 5, 3, 0, 0x6d, 0x65]);
    expect(done!.peer.legacy).toEqual({ revision: "1.0", socketType: 8, identity: Buffer.alloc(0) });
  }, T);

  it("an identity of 254 or 255 bytes goes to a ZMTP 1.0 peer in RFC 13's long form", () => {
    for (const n of [253, 254, 255]) {
      const codec = zmtpCodec({ ...self, routingId: Buffer.alloc(n, 0x69) });
      codec.preamble.start();
      const sent: Buffer[] = [];
      codec.preamble.feed(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0]), (b) => sent.push(Buffer.from(b)));
      const frame = Buffer.concat(sent).subarray(2); // after major and socket type
      if (n + 1 < 255) expect([frame[0], frame[1], frame.length]).toEqual([n + 1, 0, n + 2]);
      else expect([frame[0], Number(frame.readBigUInt64BE(1)), frame[9], frame.length]).toEqual([0xff, n + 1, 0, n + 10]);
    }
  }, T);

  it("refuses revision 2 and a preamble that never completes", () => {
    expect(() => run(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 2]), 1)).toThrow(/revision 2/);
    // a 2.0 greeting whose identity frame is long: over the preamble's bound before it completes
    const long = Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 5, 2]), Buffer.from([0, 0, 0, 0, 0, 0, 1, 0])]);
    expect(() => run(long, 1)).toThrow(/identity of 256 bytes/);
  }, T);
});
