/**
 * The agent's V8 code cache (see packages/agent/src/code-cache-start.ts):
 * made on the host, by the staged node running the staged agent, so V8
 * accepts it inside every sandbox; bots only ever read it. Remade whenever
 * agent.js or node changes.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { AgentClient } from "../../client/index.js";

export const CODE_CACHE_FILE = "agent.js.cache";
const KEY_FILE = "agent.js.cache-key";
const MAKE_TIMEOUT_MS = 15_000;
const WARM_UP_VERSION = 1;

/** Makes `<agentDir>/agent.js.cache` unless a current one exists. True when there is one. */
export async function ensureCodeCache(agentDir: string): Promise<boolean> {
  const cache = path.join(agentDir, CODE_CACHE_FILE);
  const keyFile = path.join(agentDir, KEY_FILE);
  const key = await cacheKey(agentDir);
  const [current, existing] = await Promise.all([
    readFile(keyFile, "utf8").catch(() => ""),
    stat(cache).catch(() => undefined),
  ]);
  if (current === key && existing?.isFile()) return true;
  await makeCodeCache(agentDir, cache);
  await writeFile(keyFile, key, { mode: 0o644 });
  return true;
}

async function cacheKey(agentDir: string): Promise<string> {
  const [agent, loader, node] = await Promise.all([
    readFile(path.join(agentDir, "agent.js")),
    readFile(path.join(agentDir, "agent-start.js")),
    stat(path.join(agentDir, "node")),
  ]);
  return (
    createHash("sha256")
      .update(agent)
      .update(loader)
      // What warmUp() calls decides what the cache holds.
      .update(`warm-up ${WARM_UP_VERSION}`)
      .update(`${node.size}:${node.mtimeMs}:${node.ino}`)
      .digest("hex")
  );
}

async function makeCodeCache(agentDir: string, cache: string): Promise<void> {
  await writeCodeCache(path.join(agentDir, "node"), path.join(agentDir, "agent-start.js"), cache);
}

/**
 * Runs the agent's loader (`agent-start.js`) with `node` in write mode,
 * calls each RPC once (warmUp) and closes its stdin: the loader writes the
 * code cache to `cache` and exits. A failure leaves no cache file behind.
 */
export async function writeCodeCache(node: string, loader: string, cache: string): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), "botbox-code-cache-"));
  const socket = path.join(scratch, "agent.sock");
  const child = spawn(node, [loader], {
    env: {
      PATH: process.env.PATH,
      MCP_LISTEN_ADDR: `unix:${socket}`,
      BOTBOX_DATA_DIR: path.join(scratch, "data"),
      BOTBOX_TEMPLATE_DIR: path.join(scratch, "no-templates"),
      BOTBOX_BOT_ID: "code-cache",
      BOTBOX_AGENT_CODE_CACHE_WRITE: cache,
    },
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2000)));
  // A failed warm-up must not leave an unhandled EPIPE behind.
  child.stdin.on("error", () => undefined);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill("SIGKILL"), MAKE_TIMEOUT_MS);
  try {
    const warmed = await Promise.race([warmUp(socket).then(() => true), exited.then(() => false)]);
    // Closing stdin tells the loader to write the cache and exit.
    child.stdin.end();
    const [code, signal] = await exited;
    if (!warmed || code !== 0)
      throw new Error(`making the agent's code cache failed (${signal ?? `exit ${code}`}): ${stderr}`);
  } catch (error) {
    child.kill("SIGKILL");
    await rm(cache, { force: true });
    throw error;
  } finally {
    clearTimeout(timer);
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * One call of each kind a bot's agent serves, so their code is compiled
 * before the cache is written. What the calls do does not matter; that each
 * runs its handler's whole path does.
 */
export async function warmUp(socket: string): Promise<void> {
  const listening = () =>
    stat(socket).then(
      (stats) => stats.isSocket(),
      () => false,
    );
  while (!(await listening())) await sleep(5);
  const client = new AgentClient({ address: `unix:${socket}` });
  try {
    await client.info();
    await client.mkdir("warm/dir");
    await client.writeFile("warm/a.txt", "one\ntwo\n");
    await client.readFile("warm/a.txt", { lineOffset: 1, lineCount: 10 });
    await client.stat("warm/a.txt");
    await client.listDir("warm", { recursive: true });
    await client.rename("warm/a.txt", "warm/b.txt");
    await client.writeRaw("warm/c.bin", Buffer.alloc(1024, 1));
    for await (const chunk of await client.readRaw("warm/c.bin")) void chunk;
    const result = await client.exec("cat; echo out; echo err >&2", { stdin: "in\n" });
    if (result.exitCode !== 0) throw new Error(`warm-up exec exited with ${result.exitCode}`);
    await client.deleteFile("warm", { recursive: true });
  } finally {
    client.close();
  }
}
