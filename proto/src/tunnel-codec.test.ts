import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { TunnelFrame } from "./gen/mcpcontainer.js";
import { decodeTunnelFrame, encodeTunnelFrame } from "./tunnel-codec.js";

const data = (bytes: Buffer): TunnelFrame => ({ frame: { $case: "data", value: { data: bytes } } });

describe("the Tunnel frame codec", () => {
  for (const size of [0, 1, 125, 126, 127, 128, 16_383, 16_384, 65_536, 2_097_152]) {
    it(`encodes and decodes a data frame of ${size} bytes exactly as the generated code does`, () => {
      const frame = data(Buffer.alloc(size, 0x5a));
      const generated = Buffer.from(TunnelFrame.encode(frame).finish());
      assert.deepEqual(encodeTunnelFrame(frame), generated);
      assert.deepEqual(decodeTunnelFrame(generated), TunnelFrame.decode(generated));
      assert.equal(decodeTunnelFrame(generated).frame?.$case, "data");
    });
  }

  it("takes open and close frames, with or without text, the generated way", () => {
    for (const frame of [
      { frame: { $case: "open", value: { address: "127.0.0.1:3000" } } },
      { frame: { $case: "close", value: { error: "" } } },
      { frame: { $case: "close", value: { error: "connect ECONNREFUSED" } } },
    ] as TunnelFrame[]) {
      const generated = Buffer.from(TunnelFrame.encode(frame).finish());
      assert.deepEqual(encodeTunnelFrame(frame), generated);
      assert.deepEqual(decodeTunnelFrame(generated), frame);
    }
  });
});
