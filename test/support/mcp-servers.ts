import { createReadStream, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

import type { AgentClient } from "../../packages/server/src/client/index.js";

/** The real MCP servers from npm the tests run, each by its package's entry point. */
const ENTRY_POINTS = {
  everything: "@modelcontextprotocol/server-everything/dist/index.js",
  filesystem: "@modelcontextprotocol/server-filesystem/dist/index.js",
} as const;

export type NpmMcpServer = keyof typeof ENTRY_POINTS;

/** The scripted server of test/mcp/fixtures, for faults real servers do not show. */
export const SCRIPTED_SERVER = fileURLToPath(new URL("../mcp/fixtures/scripted-server.mjs", import.meta.url));

const NODE_MODULES = fileURLToPath(new URL("../../node_modules/", import.meta.url));

let bundleDir: Promise<string> | undefined;
const bundles = new Map<NpmMcpServer, Promise<string>>();

/**
 * The server bundled with all its dependencies into one ES module file, so
 * it runs as `node <file>` wherever Node 20 does: in a bot's data folder,
 * inside a sandbox, without network. Built once per test process.
 */
export function bundledServer(name: NpmMcpServer): Promise<string> {
  let bundle = bundles.get(name);
  if (!bundle) {
    bundle = buildBundle(name);
    bundles.set(name, bundle);
  }
  return bundle;
}

async function buildBundle(name: NpmMcpServer): Promise<string> {
  bundleDir ??= mkdtemp(path.join(tmpdir(), "botbox-mcp-bundles-")).then((dir) => {
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  const outfile = path.join(await bundleDir, `${name}.mjs`);
  await build({
    entryPoints: [path.join(NODE_MODULES, ENTRY_POINTS[name])],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as __mcpRequire } from 'node:module'; const require = __mcpRequire(import.meta.url);",
    },
    logLevel: "error",
  });
  return outfile;
}

/** Uploads a bundled npm server into the bot's data folder; returns the path given. */
export async function uploadServer(client: AgentClient, name: NpmMcpServer, target = `${name}.mjs`): Promise<string> {
  await client.writeRaw(target, createReadStream(await bundledServer(name)));
  return target;
}

/** Uploads the scripted server into the bot's data folder; returns the path given. */
export async function uploadScriptedServer(client: AgentClient, target = "scripted-server.mjs"): Promise<string> {
  await client.writeRaw(target, createReadStream(SCRIPTED_SERVER));
  return target;
}
