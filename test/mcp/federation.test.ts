import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";

import { NotFoundError } from "../../packages/server/src/errors.js";
import {
  FederatedMcpServers,
  splitFederatedToolName,
  type StdioServerConfig,
  StdioSession,
} from "../../packages/server/src/mcp/index.js";
import { uploadServer } from "../support/mcp-servers.js";
import { eventually, processExists, startTestAgent, type TestAgent, textOf } from "./support.js";

describe("FederatedMcpServers", () => {
  let t: TestAgent;
  let configs: StdioServerConfig[];
  let federation: FederatedMcpServers;
  let starts: string[];

  before(async () => {
    t = await startTestAgent();
    await uploadServer(t.client, "everything");
  });
  beforeEach(async () => {
    await federation?.shutdown();
    starts = [];
    configs = [scripted()];
    federation = new FederatedMcpServers({
      agents: { agentFor: async () => t.client },
      configs: async () => configs,
      logger: t.logger,
      session: { rootsUri: t.rootsUri },
      startSession: async (start) => {
        starts.push(start.name);
        return StdioSession.start(start);
      },
    });
  });
  after(async () => {
    await federation?.shutdown();
    await t.stop();
  });

  function scripted(name = "scripted", extra: Partial<StdioServerConfig> = {}): StdioServerConfig {
    const { command, args } = t.scripted();
    return { name, command, args, ...extra };
  }

  const pidOf = async (tool = "scripted__pid") => textOf(await federation.callTool("bot", tool)).split(" ");

  it("lists every server's tools as <server>__<tool>", async () => {
    configs.push({ name: "everything", command: "node", args: ["everything.mjs", "stdio"] });
    const names = (await federation.listTools("bot")).map((tool) => tool.name);
    assert.ok(names.includes("scripted__pid"));
    assert.ok(names.includes("scripted__whereami"));
    assert.ok(names.includes("everything__echo"));
    assert.ok(names.includes("everything__get-env"));
    const echoed = await federation.callTool("bot", "everything__echo", { message: "through the federation" });
    assert.equal(textOf(echoed), "Echo: through the federation");
  });

  it("reuses one server process across tools/list and three tools/call", async () => {
    await federation.listTools("bot");
    const [pid1, count1] = await pidOf();
    const [pid2, count2] = await pidOf();
    const [pid3, count3] = await pidOf();
    assert.equal(pid1, pid2);
    assert.equal(pid2, pid3);
    assert.deepEqual([count1, count2, count3], ["1", "2", "3"]);
    assert.deepEqual(starts, ["scripted"]);
  });

  it("starts a single process for concurrent first uses", async () => {
    const pids = await Promise.all([pidOf(), pidOf(), pidOf(), federation.listTools("bot").then(() => undefined)]);
    assert.equal(new Set(pids.filter(Boolean).map((pid) => pid![0])).size, 1);
    assert.deepEqual(starts, ["scripted"]);
  });

  it("starts a server that ended again at its next use", async () => {
    const [before] = await pidOf();
    await assert.rejects(federation.callTool("bot", "scripted__crash"), /exited with code 3/);
    const [after] = await pidOf();
    assert.notEqual(after, before);
    assert.deepEqual(starts, ["scripted", "scripted"]);
  });

  it("replaces a server whose configuration changed, and closes one removed from it", async () => {
    const [before] = await pidOf();
    configs[0] = scripted("scripted", { env: { CHANGED: "yes" } });
    const [after] = await pidOf();
    assert.notEqual(after, before);
    const seen = JSON.parse(textOf(await federation.callTool("bot", "scripted__whereami"))) as {
      env: Record<string, string>;
    };
    assert.equal(seen.env.CHANGED, "yes");
    await eventually(() => (processExists(Number(before)) ? undefined : true));
    configs = [];
    assert.deepEqual(await federation.listTools("bot"), []);
    await assert.rejects(federation.callTool("bot", "scripted__pid"), NotFoundError);
    await eventually(() => (processExists(Number(after)) ? undefined : true));
  });

  it("keeps the other servers' tools when one fails, and logs the failure", async () => {
    configs.push(
      { name: "missing", command: "no-such-mcp-server" },
      { name: "bad__name", command: "node" },
      scripted("second"),
    );
    const names = (await federation.listTools("bot")).map((tool) => tool.name);
    assert.ok(names.includes("scripted__pid"));
    assert.ok(names.includes("second__pid"));
    assert.equal(
      names.some((name) => name.startsWith("missing") || name.startsWith("bad")),
      false,
    );
    const failures = t.logger.entries.filter((entry) => entry.message === "federated mcp server failed");
    assert.ok(failures.some((entry) => entry.fields.mcpServer === "missing"));
    assert.ok(failures.some((entry) => entry.fields.mcpServer === "bad__name"));
  });

  it("retries a server whose initialize failed at its next use (the original retried initialize; here, as a new start)", async () => {
    configs = [scripted("flaky", { args: [...scripted().args!, "--fail-init-once", "federation-init-failed"] })];
    assert.deepEqual(await federation.listTools("bot"), []);
    const names = (await federation.listTools("bot")).map((tool) => tool.name);
    assert.ok(names.includes("flaky__pid"));
    assert.deepEqual(starts, ["flaky", "flaky"]);
  });

  it("splits a federated name at its first separator, so tools may contain one", () => {
    assert.deepEqual(splitFederatedToolName("srv__tool__x"), { server: "srv", tool: "tool__x" });
    assert.deepEqual(splitFederatedToolName("srv___x"), { server: "srv", tool: "_x" });
    assert.equal(splitFederatedToolName("plain"), undefined);
    assert.equal(splitFederatedToolName("__tool"), undefined);
    assert.equal(splitFederatedToolName("srv__"), undefined);
  });
});
