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

export const CODE_CACHE_FILE = "agent.js.cache";
const KEY_FILE = "agent.js.cache-key";
const MAKE_TIMEOUT_MS = 15_000;

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
  return createHash("sha256")
    .update(agent)
    .update(loader)
    .update(`${node.size}:${node.mtimeMs}:${node.ino}`)
    .digest("hex");
}

async function makeCodeCache(agentDir: string, cache: string): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), "botbox-code-cache-"));
  try {
    const child = spawn(path.join(agentDir, "node"), [path.join(agentDir, "agent-start.js")], {
      env: {
        PATH: process.env.PATH,
        MCP_LISTEN_ADDR: `unix:${path.join(scratch, "agent.sock")}`,
        BOTBOX_DATA_DIR: path.join(scratch, "data"),
        BOTBOX_TEMPLATE_DIR: path.join(scratch, "no-templates"),
        BOTBOX_BOT_ID: "code-cache",
        BOTBOX_AGENT_CODE_CACHE_WRITE: cache,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), MAKE_TIMEOUT_MS);
    const [code, signal] = (await once(child, "exit").finally(() => clearTimeout(timer))) as [number | null, string];
    if (code !== 0) throw new Error(`making the agent's code cache failed (${signal ?? `exit ${code}`}): ${stderr}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
