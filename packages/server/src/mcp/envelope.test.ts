import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { McpError } from "@modelcontextprotocol/sdk/types.js";

import { BadRequestError } from "../errors.js";
import { errorEnvelope, mcpErrorEnvelope, requestIdOf, resultEnvelope } from "./envelope.js";

describe("JSON-RPC envelopes", () => {
  it("keeps the caller's raw id and answers null for a missing result", () => {
    assert.deepEqual(resultEnvelope("1", { ok: true }), { jsonrpc: "2.0", id: "1", result: { ok: true } });
    assert.deepEqual(resultEnvelope(1, undefined), { jsonrpc: "2.0", id: 1, result: null });
  });

  it("defaults an error's code to -32603 and its message, trimmed, to internal error; data is dropped", () => {
    assert.deepEqual(errorEnvelope(1, undefined, "  "), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: "internal error" },
    });
    assert.deepEqual(errorEnvelope(1, 1.5, " bad \n"), {
      jsonrpc: "2.0",
      id: 1,
      error: { code: -32603, message: "bad" },
    });
    const fromServer = new McpError(-32602, "Unknown tool: x", { detail: "dropped" });
    assert.deepEqual(mcpErrorEnvelope("a", fromServer), {
      jsonrpc: "2.0",
      id: "a",
      error: { code: -32602, message: "Unknown tool: x" },
    });
  });

  it("requires an id that is a string or a number", () => {
    assert.equal(requestIdOf({ id: 0 }), 0);
    assert.equal(requestIdOf({ id: "" }), "");
    for (const id of [undefined, null, true, {}, Number.NaN]) {
      assert.throws(() => requestIdOf({ id }), BadRequestError);
    }
  });
});
