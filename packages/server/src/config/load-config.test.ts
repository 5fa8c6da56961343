import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { ConfigError, loadConfig, loadConfigWithSources } from "./load-config.js";
import { configSchema } from "./schema.js";

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

  it("gives an absent section and an empty one the same defaults, each written once on its key", () => {
    const absent = configSchema.parse({});
    const empty = configSchema.parse(Object.fromEntries(Object.keys(configSchema.shape).map((name) => [name, {}])));
    assert.deepEqual(empty, absent);
    assert.equal(absent.containerd.cni_bin_dir, "/usr/lib/cni");
    assert.equal(absent.runtime.memory_bytes, 2 * 2 ** 30);
  });

  it("says where each value came from: the default, the file, or the variable that overrides the file", async () => {
    const file = await tomlFile('[server]\nport = 9000\nhost = "0.0.0.0"\n');
    const { config, sources } = await loadConfigWithSources({ file, env: { BOTBOX_PORT: "9100" } });
    assert.equal(config.server.port, 9100);
    assert.deepEqual(sources["server.port"], { kind: "env", variable: "BOTBOX_PORT" });
    assert.deepEqual(sources["server.host"], { kind: "file", file });
    assert.deepEqual(sources["server.home"], { kind: "default" });
    assert.deepEqual(sources["mcp.image"], { kind: "unset" });
  });

  it("ignores the retired [mcp] keys with a warning naming the key that does the job", async () => {
    const file = await tomlFile('[mcp]\nsnapshotter = "native"\ncni_bin_dir = "/opt/cni/bin"\n');
    const warnings: string[] = [];
    const config = await loadConfig({
      file,
      env: { BOTBOX_MCP_CNI_CONF_DIR: "/etc/cni/net.d" },
      onWarning: (message) => warnings.push(message),
    });
    assert.equal(config.containerd.snapshotter, "overlayfs");
    assert.equal(warnings.length, 3, warnings.join("\n"));
    assert.match(
      warnings.join("\n"),
      /\[mcp\] snapshotter \(in .*botbox\.toml\) is no longer read.*\[containerd\] snapshotter/,
    );
    assert.match(warnings.join("\n"), /\[mcp\] cni_conf_dir \(from BOTBOX_MCP_CNI_CONF_DIR\)/);
    assert.ok(!("snapshotter" in config.mcp));
  });

  it("leaves process variables that look like a section's alone (BOTBOX_CONTAINERD_ID_REGISTRY)", async () => {
    const config = await loadConfig({ env: { BOTBOX_CONTAINERD_ID_REGISTRY: "/tmp/ids" } });
    assert.equal(config.containerd.namespace, "default");
    // Without the exception it is a key of [containerd], which the strict schema refuses.
    assert.throws(() => configSchema.parse({ containerd: { id_registry: "/tmp/ids" } }), /id_registry/);
  });
});
