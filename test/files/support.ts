import assert from "node:assert/strict";
import { rm } from "node:fs/promises";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";

/** A `botbox serve` with running bots, for the file manager's routes. */
export interface FilesServer {
  readonly server: BotboxServer;
  /** A bot-scoped token for each bot. */
  readonly tokens: Record<string, string>;
  /** The absolute URL of a file manager route of `bot` (e.g. "/fs/list?path=/data"). */
  url(bot: string, route: string): string;
  /** fetch with the admin token (or the given one) unless headers say otherwise. */
  fetch(url: string, init?: RequestInit & { token?: string }): Promise<Response>;
  /** Runs a shell command in the bot's workspace; fails the test on a non-zero exit. */
  sh(bot: string, command: string): Promise<string>;
  close(): Promise<void>;
}

export async function startFilesServer(bots: string[], env: NodeJS.ProcessEnv = {}): Promise<FilesServer> {
  const server = await startBotboxServer({ env });
  const tokens: Record<string, string> = {};
  const close = async () => {
    for (const bot of bots) await server.api("DELETE", `/bots/${bot}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  };
  try {
    for (const bot of bots) {
      assert.equal((await server.api("POST", "/bots", { id: bot, name: bot })).status, 201);
      const started = await server.api("POST", `/bots/${bot}/container`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      tokens[bot] = (await server.api("POST", `/bots/${bot}/tokens`, { name: "files" })).body.token as string;
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    server,
    tokens,
    url: (bot, route) => `${server.url}/bots/${bot}/container${route}`,
    fetch: (url, init = {}) => {
      const { token = server.adminToken, ...rest } = init;
      return fetch(url, {
        ...rest,
        headers: { authorization: `Bearer ${token}`, ...(rest.headers as Record<string, string> | undefined) },
      });
    },
    async sh(bot, command) {
      const { status, body } = await server.api("POST", `/bots/${bot}/container/exec`, { command, timeout: 300 });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.exit_code, 0, `${command}: ${body.stderr}`);
      return body.stdout as string;
    },
    close,
  };
}

/** The JSON body of a response, with its status, for one-line assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response fields freely
export async function json(response: Response): Promise<{ status: number; body: any }> {
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
