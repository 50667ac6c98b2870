// Between the frame decoder and the assembler when the mechanism transforms
// frames (CURVE): wire frames are bounded at their header by the assembler's
// limits plus the transform's overhead, then opened, and the frames they carry
// go to the assembler, which checks them exactly.
import type { MessageAssembler } from "./assembler.js";
import { ERR_ZMTP_UNSPECIFIED, ZmtpError } from "./constants.js";
import type { FrameSink } from "./framing.js";
import type { FrameTransform } from "./mechanisms/mechanism.js";

export class OpeningSink implements FrameSink {
  constructor(
    private readonly t: FrameTransform,
    private readonly a: MessageAssembler,
  ) {}

  frameHeader(_flags: number, size: number): void {
    const allowance = this.a.allowance;
    if (allowance >= 0 && size > allowance + this.t.overhead) {
      throw new ZmtpError("EMSGSIZE", ERR_ZMTP_UNSPECIFIED, `frame of ${size} bytes exceeds the ${allowance}-byte limit`);
    }
  }

  frame(flags: number, body: Buffer): boolean | void {
    return this.t.open(flags, body, this.a);
  }
}
