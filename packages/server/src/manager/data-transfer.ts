import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";

import type { AgentClient, ExecEvent, ExecHandle } from "../client/index.js";
import { BadRequestError, BotboxError } from "../errors.js";
import { IMPORT_DIR_PREFIX, importScript, newImportDirName } from "./data-import-scripts.js";
import { TarMemberCheck } from "./tar-member-check.js";

/** Exec timeout meaning "none": transfers of a large /data take as long as they take. */
const NO_TIMEOUT = -1;
/** How much of tar's stderr an error message carries. */
const STDERR_LIMIT = 4096;

// Commands run in the exec's default folder, the agent's data folder (/data in
// a workspace). Work folders of an import in progress are left out.
const EXPORT_COMMAND = `exec tar -czf - --anchored --exclude='./${IMPORT_DIR_PREFIX}*' .`;

export interface ImportOptions {
  /** Replace the current contents of /data instead of merging into them. */
  replace?: boolean;
  /**
   * The most bytes the archive may unpack to (TarMemberCheck counts them);
   * past it the import fails with UnpackedTooLargeError and changes nothing.
   * Default: no limit.
   */
  maxUnpackedBytes?: number;
}

/**
 * Streams a tar.gz of /data made inside the workspace. Resolves once the
 * archive has started, so a bot that cannot be reached or a tar that fails at
 * once is an error here, before any byte was promised; a later failure (tar
 * exiting non-zero) destroys the stream with an error.
 */
export async function exportData(agent: AgentClient): Promise<Readable> {
  const handle = agent.execStream(EXPORT_COMMAND, { timeoutSeconds: NO_TIMEOUT });
  handle.closeStdin();
  const events = handle[Symbol.asyncIterator]();
  const stderr = new StderrTail();
  let first: Buffer | undefined;
  try {
    first = await nextStdout(events, stderr);
  } catch (error) {
    await events.return?.();
    throw error;
  }
  return Readable.from(archiveChunks(first, events, stderr), { objectMode: false });
}

async function* archiveChunks(
  first: Buffer | undefined,
  events: AsyncIterator<ExecEvent>,
  stderr: StderrTail,
): AsyncGenerator<Buffer> {
  try {
    for (let chunk = first; chunk !== undefined; chunk = await nextStdout(events, stderr)) yield chunk;
  } finally {
    // A reader that goes away cancels the exec, which kills tar.
    await events.return?.();
  }
}

/** The next stdout chunk; undefined once tar exited 0; an error if it exited otherwise. */
async function nextStdout(events: AsyncIterator<ExecEvent>, stderr: StderrTail): Promise<Buffer | undefined> {
  for (;;) {
    const { value, done } = await events.next();
    if (done) return undefined;
    if (value.type === "stdout") return value.data;
    if (value.type === "stderr") stderr.add(value.data);
    else if (value.exitCode !== 0) throw tarFailed("export", value.exitCode, stderr);
    else return undefined;
  }
}

/**
 * Streams a tar.gz into /data. The archive is unpacked on the host side of
 * the channel and checked member by member (TarMemberCheck), then extracted
 * by tar in the workspace into a work folder inside /data; only a complete,
 * clean extraction is moved into place. A corrupt, refused, cut-off or
 * failing archive therefore changes nothing, merged or replacing. Moving into
 * place is renames (replace, undone on failure) or hard links (merge, where a
 * clash such as a file over a folder fails midway and is reported).
 */
export async function importData(agent: AgentClient, source: Readable, options: ImportOptions = {}): Promise<void> {
  const env = { BOTBOX_IMPORT_DIR: newImportDirName() };
  const extraction = agent.execStream(importScript("extract"), { env, timeoutSeconds: NO_TIMEOUT });
  const exited = outcomeOf(extraction);
  try {
    await feed(extraction, source, exited, new TarMemberCheck({ maxUnpackedBytes: options.maxUnpackedBytes }));
    const { exitCode, stderr } = await exited;
    // The archive is what tar failed on (a member it cannot make, a full
    // disk quota): the client's to fix, a 400 with tar's reason.
    if (exitCode !== 0) throw new BadRequestError(tarFailed("import", exitCode, stderr).message);
  } catch (error) {
    extraction.cancel();
    await exited.catch(() => undefined);
    await agent.exec(importScript("discard"), { env, timeoutSeconds: NO_TIMEOUT }).catch(() => undefined);
    throw error;
  }
  const commit = await agent.exec(importScript(options.replace ? "replace" : "merge"), {
    env,
    timeoutSeconds: NO_TIMEOUT,
  });
  if (commit.exitCode !== 0) {
    throw new BotboxError("agent_error", `moving the imported data into place failed: ${commit.stderr.trim()}`);
  }
}

const TAR_GONE: unique symbol = Symbol("tar exited");

/** Sends the checked, uncompressed archive to tar's stdin, honouring flow control both ways. */
async function feed(
  extraction: ExecHandle,
  source: Readable,
  exited: Promise<unknown>,
  check: TarMemberCheck,
): Promise<void> {
  // Resolves when tar is gone, for whatever reason; its outcome is read later.
  const tarGone: Promise<typeof TAR_GONE> = exited.then(
    () => TAR_GONE,
    () => TAR_GONE,
  );
  // Errors reach the iterator through the last stream; the callback only
  // keeps pipeline from reporting them a second time.
  const checked = pipeline(source, createGunzip(), check, () => undefined);
  const chunks = (checked as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer> | typeof TAR_GONE;
      try {
        next = await Promise.race([chunks.next(), tarGone]);
      } catch (error) {
        if (isZlibError(error)) throw new BadRequestError(`the archive is not valid gzip: ${(error as Error).message}`);
        throw error;
      }
      // tar stopped reading (end of archive, or an error of its own); its outcome says which.
      if (next === TAR_GONE) return;
      if (next.done) break;
      const sending = extraction.sendStdin(next.value);
      // A send abandoned because tar exited must not resurface as an unhandled rejection.
      sending.catch(() => undefined);
      try {
        if ((await Promise.race([sending, tarGone])) === TAR_GONE) return;
      } catch (error) {
        // The exec stream broke; its outcome carries the mapped reason.
        await exited;
        throw error;
      }
    }
  } finally {
    // Stops reading the upload if we leave early.
    await chunks.return?.();
  }
  extraction.closeStdin();
}

/** Waits for the command's exit, keeping the start of its stderr. */
async function outcomeOf(handle: ExecHandle): Promise<{ exitCode: number; stderr: StderrTail }> {
  const stderr = new StderrTail();
  let exitCode = -1;
  for await (const event of handle) {
    if (event.type === "stderr") stderr.add(event.data);
    else if (event.type === "exit") exitCode = event.exitCode;
  }
  return { exitCode, stderr };
}

const isZlibError = (error: unknown) =>
  typeof (error as { code?: unknown })?.code === "string" && (error as { code: string }).code.startsWith("Z_");

function tarFailed(what: "export" | "import", exitCode: number, stderr: StderrTail): BotboxError {
  return new BotboxError("agent_error", `${what}: tar exited with ${exitCode}: ${stderr.text() || "no message"}`);
}

/** The first few KiB of stderr: tar names the first problem first. */
class StderrTail {
  private readonly parts: Buffer[] = [];
  private bytes = 0;

  add(data: Buffer): void {
    if (this.bytes >= STDERR_LIMIT) return;
    this.parts.push(data.subarray(0, STDERR_LIMIT - this.bytes));
    this.bytes += Math.min(data.length, STDERR_LIMIT - this.bytes);
  }

  text(): string {
    return Buffer.concat(this.parts).toString("utf8").trim();
  }
}
