/**
 * Copies of the agent bundle, its code-cache loader, the node binary and the
 * templates under `<home>/opt/`; the folder `<home>/opt/botbox` is what a
 * bot sees, read-only, at /opt/botbox. bwrap runs as the bot's unprivileged uid and can only bind
 * what that uid can reach; the originals may sit under a folder it cannot
 * enter (e.g. /root/.nvm). A hard link costs nothing when the file system
 * allows it; otherwise the file is copied once and refreshed when it changes.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";

import { ensureCodeCache } from "./code-cache.js";
import { readJsonFile, writeJsonFile } from "./json-file.js";

export interface StagedFiles {
  /** Bound at /opt/botbox: node, agent.js, and agent-start.js + agent.js.cache when there is a cache. */
  agentDir: string;
  /** The agent starts through agent-start.js with the V8 code cache. */
  codeCache: boolean;
  /** Why there is no code cache although one was asked for. */
  codeCacheProblem?: string;
  templates: string;
}

export interface StagingSources {
  agentBundle: string;
  nodeBinary: string;
  templateDir: string;
  /** Make and use a V8 code cache for the agent when its loader is there. */
  codeCache: boolean;
}

export async function stageFiles(
  home: string,
  sources: StagingSources,
  logger?: { warn(fields: object, message: string): void },
): Promise<StagedFiles> {
  const folder = path.join(home, "opt");
  const agentDir = path.join(folder, "botbox");
  // lib/ is the mount point of the host's loader and libraries for imported images.
  await mkdir(path.join(agentDir, "lib"), { recursive: true, mode: 0o755 });
  await Promise.all([folder, agentDir].map((dir) => chmod(dir, 0o755)));
  const node = path.join(agentDir, "node");
  const agent = path.join(agentDir, "agent.js");
  await stageFile(sources.agentBundle, agent, 0o644);
  await stageFile(sources.nodeBinary, node, 0o755);
  // The bundles are CommonJS; without this a package.json above the home that
  // says "type": "module" (as botbox's own checkout does, with the default
  // home ./.botbox) makes node load them as ES modules, and they fail.
  const packageJson = path.join(agentDir, "package.json");
  if ((await readJsonFile<{ type?: string }>(packageJson))?.type !== "commonjs")
    await writeJsonFile(packageJson, { type: "commonjs" }, 0o644);
  const loader = path.join(path.dirname(sources.agentBundle), "agent-start.js");
  let codeCache = false;
  let codeCacheProblem: string | undefined;
  if (sources.codeCache && !existsSync(loader)) {
    codeCacheProblem = `its loader ${loader} is missing (build the agent with npm run build)`;
  } else if (sources.codeCache) {
    await stageFile(loader, path.join(agentDir, "agent-start.js"), 0o644);
    codeCache = await ensureCodeCache(agentDir).catch((error: unknown) => {
      logger?.warn({ err: error }, "no V8 code cache for the agent: bots start without one");
      codeCacheProblem = error instanceof Error ? error.message : String(error);
      return false;
    });
  }
  const templates = await stageFolder(sources.templateDir, folder);
  return { agentDir, codeCache, ...(codeCacheProblem ? { codeCacheProblem } : {}), templates };
}

async function stageFile(source: string, target: string, mode: number): Promise<void> {
  const [from, to] = await Promise.all([stat(source), stat(target).catch(() => undefined)]);
  if (to && ((to.dev === from.dev && to.ino === from.ino) || (to.size === from.size && to.mtimeMs === from.mtimeMs)))
    return;
  // Build beside the target and rename over it: a running sandbox keeps the
  // file it bound, a concurrent runtime never sees a partial copy.
  const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    // Bots (other uids) must be able to read it. A hard link shares the
    // original's mode, so link only what is already readable enough.
    const linked =
      (from.mode & mode) === mode &&
      (await link(source, temporary).then(
        () => true,
        () => false,
      ));
    if (!linked) {
      await copyFile(source, temporary);
      await chmod(temporary, mode);
      await utimes(temporary, from.atime, from.mtime);
    }
    await rename(temporary, target);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Templates go to a folder named by their content, so it is never rewritten under a running bot. */
async function stageFolder(source: string, parent: string): Promise<string> {
  const files: [string, Buffer][] = [];
  for (const entry of await readdir(source, { withFileTypes: true }).catch(() => [])) {
    // The agent seeds only top-level regular files.
    if (entry.isFile()) files.push([entry.name, await readFile(path.join(source, entry.name))]);
  }
  const hash = createHash("sha256");
  for (const [name, content] of files.sort(([a], [b]) => (a < b ? -1 : 1)))
    hash.update(`${name}\0${content.length}\0`).update(content);
  const target = path.join(parent, `mcp-template-${hash.digest("hex").slice(0, 16)}`);
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return target;
  const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  await mkdir(temporary, { mode: 0o755 });
  try {
    for (const [name, content] of files) await writeFile(path.join(temporary, name), content, { mode: 0o644 });
    await rename(temporary, target).catch(async (error: unknown) => {
      // A concurrent runtime staged the same content first.
      if (
        !(await stat(target).then(
          () => true,
          () => false,
        ))
      )
        throw error;
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return target;
}
