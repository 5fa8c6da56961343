// What every suite against a real `botbox serve` starts and ends with:
// bots registered (and started), a bot-scoped token, the bot's own agent,
// a shell in its workspace, and a clean-up that leaves nothing behind.
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import path from "node:path";

import { AgentClient, type AgentEndpoint } from "../../packages/server/src/client/index.js";
import { containerIdFor } from "../../packages/server/src/manager/index.js";
import { type BotboxServer, TEST_RUNTIME } from "./botbox-server.js";
import { openRuntime } from "./runtimes.js";

/** Registers each bot, and starts its container unless `start` is false. */
export async function addBots(server: BotboxServer, bots: (string | { id: string; start?: boolean })[]): Promise<void> {
  for (const bot of bots) {
    const { id, start = true } = typeof bot === "string" ? { id: bot } : bot;
    const created = await server.api("POST", "/bots", { id, name: id });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    if (!start) continue;
    const started = await server.api("POST", `/bots/${id}/container`);
    assert.equal(started.status, 201, JSON.stringify(started.body));
  }
}

/** A new token that reaches only this bot. */
export async function botToken(server: BotboxServer, botId: string): Promise<string> {
  const { status, body } = await server.api("POST", `/bots/${botId}/tokens`, { name: `${botId} test token` });
  assert.equal(status, 201, JSON.stringify(body));
  return body.token as string;
}

/** Deletes the bots, stops the server and removes its home; safe when `server` never started. */
export async function removeServer(server: BotboxServer | undefined, botIds: string[]): Promise<void> {
  if (!server) return;
  for (const id of botIds) await server.api("DELETE", `/bots/${id}`);
  await server.stop();
  await rm(server.home, { recursive: true, force: true });
}

/**
 * A client of the bot's own agent, as the server dials it. Sandbox: the
 * socket at <home>/bots/<id>/run/agent.sock, with the token kept in the
 * bot's container record. Docker: the same socket path (bound at
 * /run/botbox), with the token read from the container's env by the
 * runtime itself. containerd: likewise, from the container's OCI spec.
 */
export async function botAgent(server: BotboxServer, botId: string): Promise<AgentClient> {
  const client = new AgentClient(await agentEndpointOf(server, botId));
  assert.equal((await client.info()).botId, botId);
  return client;
}

async function agentEndpointOf(server: BotboxServer, botId: string): Promise<AgentEndpoint> {
  if (TEST_RUNTIME !== "sandbox") {
    // The container backends read the token from the container itself; a
    // runtime of the registry on the server's home asks, as the server does.
    const { runtime } = await openRuntime(TEST_RUNTIME, server.home);
    try {
      const endpoint = await runtime.agentEndpoint(containerIdFor(botId));
      assert.ok(endpoint, `the container of ${botId} is not running`);
      return endpoint;
    } finally {
      await runtime.close();
    }
  }
  const botDir = path.join(server.home, "bots", botId);
  const record = JSON.parse(await readFile(path.join(botDir, "container.json"), "utf8")) as {
    spec: { agentToken: string };
  };
  return { address: `unix:${path.join(botDir, "run", "agent.sock")}`, token: record.spec.agentToken };
}

/** What POST /bots/:bot_id/container/exec answers. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exit_code: number;
}

/** Runs a command in the bot's workspace through the HTTP API; fails the test unless the request succeeds. */
export async function execIn(server: BotboxServer, botId: string, command: string): Promise<ExecResult> {
  const { status, body } = await server.api("POST", `/bots/${botId}/container/exec`, { command });
  assert.equal(status, 200, JSON.stringify(body));
  return body as ExecResult;
}

/** Runs a command in the bot's workspace through the HTTP API; fails the test unless it exits 0. */
export function shellIn(server: BotboxServer, botId: string): (command: string) => Promise<string> {
  return async (command) => {
    const result = await execIn(server, botId, command);
    assert.equal(result.exit_code, 0, result.stderr);
    return result.stdout;
  };
}

/**
 * The status of a request that declares `length` bytes of body and sends
 * none. A server refusing a body from its headers answers and closes;
 * reading the answer before any byte goes out keeps the client from racing
 * that close (a client still writing gets EPIPE instead of the answer).
 */
export function declaredBodyStatus(
  url: string,
  options: { token: string; length: number; method?: string; contentType?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: options.method ?? "POST",
      headers: {
        authorization: `Bearer ${options.token}`,
        "content-type": options.contentType ?? "application/json",
        "content-length": options.length,
      },
    });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (text: string) => (body += text));
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, body });
        request.destroy();
      });
    });
    request.on("error", reject);
    request.flushHeaders();
  });
}
