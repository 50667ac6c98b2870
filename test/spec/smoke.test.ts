import { describe, it, expect } from "vitest";
import { Pull, Push } from "../../index.js";
describe("smoke", () => {
  it("push pull inproc", async () => {
    const push = new Push(); const pull = new Pull();
    await pull.bind("inproc://smoke");
    push.connect("inproc://smoke");
    await push.send(["a", "b"]);
    const m = await pull.receive();
    expect(m.map(String)).toEqual(["a", "b"]);
    push.close(); pull.close();
  });
});
