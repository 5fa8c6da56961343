import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { ENVIRONMENT_VARIABLES, listSettings, renderSettingsTables } from "../../packages/server/src/config/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

describe("the settings table of docs/server.md", () => {
  it("is the one the schema generates (run node --import tsx scripts/settings-table.ts)", async () => {
    const document = await readFile(`${ROOT}docs/server.md`, "utf8");
    assert.equal(document, renderSettingsTables(document));
  });

  it("names every environment variable the server and the agent read", async () => {
    // The same grep a reviewer would run; names built at run time (BOTBOX_<SECTION>_<KEY>) are the schema's.
    const { stdout } = await run(
      "grep",
      [
        "-rhoE",
        String.raw`\benv\.[A-Z][A-Z0-9_]+|env\("[A-Z_]+"\)`,
        "packages/server/src",
        "packages/agent/src",
        "--include=*.ts",
        "--exclude=*.test.ts",
      ],
      { cwd: ROOT },
    );
    const read = new Set(
      stdout
        .split("\n")
        .filter(Boolean)
        .map((match) => match.replace(/^env[.(]"?|"?\)$/g, "")),
    );
    assert.ok(read.has("BOTBOX_AGENT_BUNDLE") && read.has("MCP_LISTEN_ADDR"), [...read].join(" "));
    const documented = new Set([
      ...ENVIRONMENT_VARIABLES.map((variable) => variable.name),
      ...listSettings().flatMap((setting) => setting.envNames),
    ]);
    assert.deepEqual(
      [...read].filter((name) => !documented.has(name)),
      [],
      "read but neither a setting nor in config/environment.ts",
    );
  });
});
