import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  boundedInteger,
  optionalBoolean,
  optionalInteger,
  optionalString,
  ToolArgumentError,
  trimmedString,
} from "./args.js";

const rejects = (fn: () => unknown, message: string) =>
  assert.throws(fn, (error: unknown) => error instanceof ToolArgumentError && error.message === message);

describe("tool argument helpers", () => {
  it("read integers from JSON numbers, truncating floats", () => {
    assert.equal(optionalInteger({ n: 3 }, "n"), 3);
    assert.equal(optionalInteger({ n: 2.9 }, "n"), 2);
    assert.equal(optionalInteger({ n: -2.9 }, "n"), -2);
    assert.equal(optionalInteger({}, "n"), undefined);
    assert.equal(optionalInteger({ n: null }, "n"), undefined);
  });

  it("name the argument when a number is wrong", () => {
    rejects(() => optionalInteger({ line_offset: "3" }, "line_offset"), "invalid line_offset: must be a number");
    rejects(() => optionalInteger({ n: Number.NaN }, "n"), "invalid n: must be a valid number");
    rejects(() => optionalInteger({ n: Infinity }, "n"), "invalid n: must be a valid number");
    rejects(
      () => boundedInteger({ timeout: 0 }, "timeout", { min: 1, max: 600, unit: "seconds" }),
      "invalid timeout: must be between 1 and 600 seconds, got 0",
    );
  });

  it("keep strings as given, and trim only on request", () => {
    assert.equal(optionalString({ s: "  x\n" }, "s"), "  x\n");
    assert.equal(trimmedString({ s: "  x\n" }, "s"), "x");
    assert.equal(trimmedString({}, "s"), "");
    rejects(() => optionalString({ content: 42 }, "content"), "invalid content: must be a string");
  });

  it("accept only real booleans", () => {
    assert.equal(optionalBoolean({ b: true }, "b"), true);
    assert.equal(optionalBoolean({}, "b"), undefined);
    rejects(() => optionalBoolean({ recursive: "yes" }, "recursive"), "invalid recursive: must be a boolean");
  });
});
