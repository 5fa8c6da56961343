import type { AgentClient } from "../client/index.js";

/** Paths per chmod batch, bounded in bytes to keep each exec message small. */
const BATCH_BYTES = 128 * 1024;

interface ModeEntry {
  relative: string;
  mode: number;
  folder: boolean;
}

/**
 * Gives copied files and folders their original modes (the original left
 * every file 0644). One `xargs chmod` per mode and batch keeps the
 * number of execs small; a batch that fails is retried path by path so the
 * failures are counted exactly. Folders come last, so a read-only folder is
 * made so only once everything inside it is in place.
 */
export async function restoreModes(
  agent: Pick<AgentClient, "exec">,
  entries: ModeEntry[],
): Promise<{ relative: string; error: string }[]> {
  const failures: { relative: string; error: string }[] = [];
  for (const folder of [false, true]) {
    const byMode = new Map<number, string[]>();
    for (const entry of entries.filter((candidate) => candidate.folder === folder)) {
      byMode.set(entry.mode, [...(byMode.get(entry.mode) ?? []), entry.relative]);
    }
    for (const [mode, paths] of byMode) {
      const octal = mode.toString(8).padStart(4, "0");
      for (const batch of batches(paths)) {
        // NUL-separated on stdin: any file name passes unquoted and unsplit.
        const stdin = Buffer.from(batch.map((relative) => `./${relative}\0`).join(""));
        const result = await agent
          .exec(`xargs -0 chmod -- ${octal}`, { stdin, timeoutSeconds: -1 })
          .catch(() => ({ exitCode: -1 }));
        if (result.exitCode === 0) continue;
        for (const relative of batch) {
          const single = await agent
            .exec(`chmod -- ${octal} "$BOTBOX_PATH"`, { env: { BOTBOX_PATH: `./${relative}` } })
            .catch((error: unknown) => ({ exitCode: -1, stderr: String(error) }));
          if (single.exitCode !== 0) failures.push({ relative, error: single.stderr.trim() });
        }
      }
    }
  }
  return failures;
}

function* batches(paths: string[]): Generator<string[]> {
  let batch: string[] = [];
  let bytes = 0;
  for (const relative of paths) {
    const size = Buffer.byteLength(relative) + 3;
    if (batch.length > 0 && bytes + size > BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(relative);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
