import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RestartBackoff } from "./restart-backoff.js";

describe("RestartBackoff", () => {
  const settings = { initialMs: 100, maxMs: 1_000, steadyMs: 10_000 };

  it("doubles the delay while the agent keeps dying soon, up to the bound", () => {
    const backoff = new RestartBackoff(settings);
    const delays = Array.from({ length: 6 }, () => backoff.delayAfter(50));
    assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000]);
  });

  it("starts again from the first delay after an agent that ran steadily", () => {
    const backoff = new RestartBackoff(settings);
    backoff.delayAfter(50);
    backoff.delayAfter(50);
    assert.equal(backoff.delayAfter(10_000), 100);
    assert.equal(backoff.delayAfter(50), 200);
  });
});
