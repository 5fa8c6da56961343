import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { buildServerCommand } from "./shell-command.js";

describe("buildServerCommand", () => {
  it("execs the quoted command and args", () => {
    assert.equal(
      buildServerCommand("npx", ["-y", "@mcp/server", "dir with space"]),
      "exec npx -y @mcp/server 'dir with space'",
    );
    assert.equal(buildServerCommand("node"), "exec node");
  });
});
