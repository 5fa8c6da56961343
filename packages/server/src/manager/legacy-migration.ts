import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, rename } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { BOT_ID_PATTERN } from "../bot-id.js";
import type { AgentClient } from "../client/index.js";
import { BadRequestError, UnavailableError } from "../errors.js";
import { restoreModes } from "./legacy-modes.js";
import { walkTree } from "./legacy-tree.js";

/** What the migration uses of the agent client. */
export type MigrationAgent = Pick<AgentClient, "mkdir" | "writeRaw" | "exec">;

export interface LegacyMigrationOptions {
  /** `[mcp] data_root`; a relative one is resolved against the working directory, once, here. */
  dataRoot: string;
  botId: string;
  /** A client whose agent already answered: the manager calls this after waitForAgent. */
  agent: MigrationAgent;
  logger: Logger;
}

export interface MigrationResult {
  outcome: "already-migrated" | "nothing-to-migrate" | "migrated" | "incomplete";
  /** Folders, files and symlinks copied. */
  migrated: number;
  /** Walk, copy, link and mode failures; any of them keeps the source from being renamed. */
  failed: number;
  /** Entries with no place in /data: sockets, FIFOs, devices. */
  skipped: number;
  source: string;
}

const PARALLEL_UPLOADS = 4;
const SMALL_FILE_BYTES = 8 * 2 ** 20;

// A second start during a running migration joins it instead of copying twice.
const running = new Map<string, Promise<MigrationResult>>();

/**
 * The one-time copy of `<data_root>/bots/<id>` into the bot's /data,
 * with the original's bugs fixed: it runs only once the agent
 * answers, creates empty files and empty folders, keeps file and folder modes,
 * recreates symlinks, and renames the source to `<src>.migrated` only when
 * nothing failed, so a partial copy is retried at the next start.
 */
export function migrateLegacyData(options: LegacyMigrationOptions): Promise<MigrationResult> {
  if (!BOT_ID_PATTERN.test(options.botId)) {
    return Promise.reject(new BadRequestError(`bot id ${JSON.stringify(options.botId)} is not valid`));
  }
  // The original left data_root relative, so it moved with the server's cwd.
  const source = path.join(path.resolve(options.dataRoot), "bots", options.botId);
  const existing = running.get(source);
  if (existing) return existing;
  const migration = migrate(source, options).finally(() => running.delete(source));
  running.set(source, migration);
  return migration;
}

async function migrate(source: string, { agent, logger, botId }: LegacyMigrationOptions): Promise<MigrationResult> {
  const result: MigrationResult = { outcome: "incomplete", migrated: 0, failed: 0, skipped: 0, source };
  const marker = `${source}.migrated`;
  if (await exists(marker)) return { ...result, outcome: "already-migrated" };
  const info = await lstat(source).catch(() => undefined);
  if (!info?.isDirectory()) return { ...result, outcome: "nothing-to-migrate" };
  // An empty folder is never renamed; it is looked at again on every start
  // (harmless). One that cannot be read is left to the walk, which counts it.
  const names = await readdir(source).catch(() => undefined);
  if (names?.length === 0) return { ...result, outcome: "nothing-to-migrate" };

  const log = logger.child({ botId, source });
  // Once the agent is gone (the bot was stopped), every further call would
  // fail too: stop, and let the next start copy again.
  let agentGone = false;
  const fail = (what: string, relative: string, error: unknown) => {
    result.failed++;
    agentGone ||= error instanceof UnavailableError;
    log.warn({ path: relative, err: error }, `legacy migration: ${what} failed`);
  };
  const modes: { relative: string; mode: number; folder: boolean }[] = [];
  const links: { relative: string; target: string }[] = [];
  const uploads = new Set<Promise<void>>();

  for await (const entry of walkTree(source)) {
    if (agentGone) break;
    if (entry.kind === "error") fail("reading", entry.relative, entry.error);
    else if (entry.kind === "other") {
      result.skipped++;
      log.warn({ path: entry.relative }, "legacy migration: skipped a socket, FIFO or device");
    } else if (entry.kind === "symlink") links.push(entry);
    else if (entry.kind === "folder") {
      // Created explicitly so that empty folders are migrated too.
      try {
        await agent.mkdir(entry.relative);
        result.migrated++;
        modes.push({ relative: entry.relative, mode: entry.mode, folder: true });
      } catch (error) {
        fail("mkdir", entry.relative, error);
      }
    } else {
      if (uploads.size >= PARALLEL_UPLOADS) await Promise.race(uploads);
      const upload = uploadFile(agent, entry)
        .then(() => {
          result.migrated++;
          modes.push({ relative: entry.relative, mode: entry.mode, folder: false });
        })
        .catch((error: unknown) => fail("upload", entry.relative, error))
        .finally(() => uploads.delete(upload));
      uploads.add(upload);
    }
  }
  await Promise.all(uploads);

  if (agentGone) {
    log.warn({ migrated: result.migrated, failed: result.failed }, "legacy migration stopped: the agent went away");
    return result;
  }
  // Links last, so that no upload above is written through one.
  for (const link of links) {
    const made = await agent
      .exec('rm -f -- "$BOTBOX_LINK" && ln -s -- "$BOTBOX_TARGET" "$BOTBOX_LINK"', {
        env: { BOTBOX_LINK: link.relative, BOTBOX_TARGET: link.target },
      })
      .catch((error: unknown) => ({ exitCode: -1, stderr: String(error) }));
    if (made.exitCode === 0) result.migrated++;
    else fail("symlink", link.relative, made.stderr.trim());
  }
  for (const failure of await restoreModes(agent, modes)) fail("chmod", failure.relative, failure.error);

  log.info({ migrated: result.migrated, failed: result.failed, skipped: result.skipped }, "legacy migration done");
  if (result.failed > 0) return result;
  try {
    await rename(source, marker);
  } catch (error) {
    log.error({ err: error }, "legacy migration: renaming the source failed; it will be copied again");
    return result;
  }
  return { ...result, outcome: "migrated" };
}

/**
 * Small files are read whole before their upload starts, large ones streamed.
 * Besides saving stream overhead on many small files, this keeps the call
 * free of disk waits: AgentClient.writeRaw leaves its result unobserved
 * while it waits on its source, so a call failing then (the bot stopped)
 * would be an unhandled rejection.
 */
async function uploadFile(agent: MigrationAgent, file: { relative: string; absolute: string; size: number }) {
  const content = file.size <= SMALL_FILE_BYTES ? await readFile(file.absolute) : createReadStream(file.absolute);
  await agent.writeRaw(file.relative, content);
}

const exists = (file: string) =>
  lstat(file).then(
    () => true,
    () => false,
  );
