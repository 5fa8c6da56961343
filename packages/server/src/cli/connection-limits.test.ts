import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { ConfigError, loadConfig } from "../config/index.js";
import { connectionLimitsFor } from "./connection-limits.js";

// An empty file: only the environment given here sets anything.
const serverConfig = async (env: Record<string, string>) => (await loadConfig({ file: "/dev/null", env })).server;

describe("connectionLimitsFor", () => {
  it("sizes the defaults from the open-file limit, the per-peer share below the total", async () => {
    const config = await serverConfig({});
    assert.deepEqual(connectionLimitsFor(config, 20_000), {
      maxConnections: 4096,
      maxPerPeer: 2040,
      adminReserve: 16,
      firstRequestTimeoutMs: 10_000,
    });
    assert.equal(connectionLimitsFor(config, 1024).maxConnections, 512);
  });

  it("refuses settings that do not fit the open-file limit or each other, naming the key", async () => {
    const tooMany = await serverConfig({ BOTBOX_SERVER_MAX_CONNECTIONS: "5000" });
    assert.throws(
      () => connectionLimitsFor(tooMany, 4096),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /server\.max_connections: 5000 does not fit the open-file limit of 4096/);
        return true;
      },
    );
    const reserve = await serverConfig({ BOTBOX_SERVER_MAX_CONNECTIONS: "16" });
    assert.throws(() => connectionLimitsFor(reserve, 4096), /admin_reserved_connections: 16 must be below/);
    const peer = await serverConfig({
      BOTBOX_SERVER_MAX_CONNECTIONS: "100",
      BOTBOX_SERVER_MAX_CONNECTIONS_PER_PEER: "90",
    });
    assert.throws(() => connectionLimitsFor(peer, 4096), /max_connections_per_peer: 90 must not exceed .* \(84\)/);
  });

  it("rejects values out of range when the config is read", async () => {
    await assert.rejects(
      serverConfig({ BOTBOX_SERVER_FIRST_REQUEST_TIMEOUT_SECONDS: "0" }),
      /first_request_timeout_seconds/,
    );
    await assert.rejects(serverConfig({ BOTBOX_SERVER_ADMIN_RESERVED_CONNECTIONS: "0" }), /admin_reserved_connections/);
  });
});
