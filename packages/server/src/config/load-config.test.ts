import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { ConfigError, loadConfig } from "./load-config.js";

async function tomlFile(text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), "botbox-config-")), "botbox.toml");
  await writeFile(file, text);
  return file;
}

describe("loadConfig", () => {
  it("gives the documented defaults with no file and no environment", async () => {
    const config = await loadConfig({ file: undefined, env: {} });
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.home, path.resolve(".botbox"));
    assert.equal(config.runtime.backend, "sandbox");
    assert.equal(config.database.url, "");
    assert.equal(config.mcp.data_root, "data");
    assert.equal(config.mcp.image, undefined);
  });

  it("reads botbox.toml and lets BOTBOX_* variables override any key", async () => {
    const file = await tomlFile('[server]\nport = 9000\nhome = "/srv/botbox"\n[mcp]\nimage = "memohai/mcp:latest"\n');
    const config = await loadConfig({
      file,
      env: { BOTBOX_MCP_REGISTRY: "memoh.cn", BOTBOX_PORT: "9100", BOTBOX_RUNTIME_START_TIMEOUT_SECONDS: "5" },
    });
    assert.equal(config.server.port, 9100);
    assert.equal(config.server.home, "/srv/botbox");
    assert.equal(config.mcp.image, "memohai/mcp:latest");
    assert.equal(config.mcp.registry, "memoh.cn");
    assert.equal(config.runtime.start_timeout_seconds, 5);
  });

  it("maps BOTBOX_<SECTION>_<KEY> to the longest section that fits, so [mcp_stdio] and [mcp] both work", async () => {
    const config = await loadConfig({
      file: undefined,
      env: {
        BOTBOX_MCP_STDIO_IDLE_TIMEOUT_SECONDS: "90",
        BOTBOX_MCP_IMAGE: "memohai/mcp:latest",
        BOTBOX_TOOLS_BACKGROUND_ON_TIMEOUT: "false",
        BOTBOX_FILES_MAX_UPLOAD_BYTES: "1048576",
      },
    });
    assert.equal(config.mcp_stdio.idle_timeout_seconds, 90);
    assert.equal(config.mcp.image, "memohai/mcp:latest");
    assert.equal(config.tools.background_on_timeout, false);
    assert.equal(config.files.max_upload_bytes, 1048576);
    await assert.rejects(
      loadConfig({ file: undefined, env: { BOTBOX_TOOLS_EXEC_TIMEOUT_SECONDS: "900" } }),
      /exec_timeout_seconds must not exceed exec_max_timeout_seconds/,
    );
  });

  it("takes DATABASE_URL for the database", async () => {
    const config = await loadConfig({ env: { DATABASE_URL: "postgres://u@localhost/db" } });
    assert.equal(config.database.url, "postgres://u@localhost/db");
  });

  it("names the key that holds a bad value", async () => {
    await assert.rejects(loadConfig({ env: { BOTBOX_PORT: "eighty" } }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^server\.port: /);
      return true;
    });
    await assert.rejects(loadConfig({ env: { BOTBOX_RUNTIME: "vmware" } }), /runtime\.backend/);
    await assert.rejects(loadConfig({ file: await tomlFile("[server]\nprot = 1\n"), env: {} }), /prot/);
  });

  it("reports a file that is not TOML, or missing when named", async () => {
    await assert.rejects(loadConfig({ file: await tomlFile("[server\nport=1"), env: {} }), /not valid TOML/);
    await assert.rejects(loadConfig({ file: "/nonexistent/botbox.toml", env: {} }), /cannot read config file/);
  });
});
