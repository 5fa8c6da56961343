import path from "node:path";

import type { AgentClient } from "../client/index.js";
import { BadRequestError, NotFoundError } from "../errors.js";
import { type EntryView, entryView } from "./entry-view.js";

/** Names in byte order, as the agent and Go sort them (not UTF-16 order). */
export const compareNames = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export interface WalkOptions {
  /** Descend into folders (depth first, each folder's entries in byte order). */
  recursive: boolean;
  /** Resume after this entry (a path under the root), as a cursor says. */
  after?: string;
}

/**
 * The entries under `root`, one non-recursive ListDir per folder. The agent's
 * recursive ListDir answers in one unary message, which a big tree takes past
 * gRPC's 4 MiB limit; walking folder by folder lets a caller stop
 * after a page and resume from the last entry it returned.
 */
export async function* walkTree(agent: AgentClient, root: string, options: WalkOptions): AsyncGenerator<EntryView> {
  const resume = options.after === undefined ? undefined : relativeParts(root, options.after);
  yield* walkFolder(agent, root, resume, options.recursive, true);
}

async function* walkFolder(
  agent: AgentClient,
  folder: string,
  resume: string[] | undefined,
  recursive: boolean,
  isRoot: boolean,
): AsyncGenerator<EntryView> {
  const entries = await listFolder(agent, folder, isRoot);
  let start = 0;
  if (resume) {
    const [last, ...inside] = resume as [string, ...string[]];
    start = firstIndexNotBefore(entries, last);
    const previous = entries[start];
    if (previous?.path === last) {
      // Already returned: go on inside it (where the cursor points, or from
      // its start if the cursor is the folder itself), then after it.
      if (recursive && previous.isDir) {
        yield* walkFolder(agent, join(folder, last), inside.length ? inside : undefined, true, false);
      }
      start++;
    }
    // A cursor entry deleted since simply resumes at the next name after it.
  }
  for (let i = start; i < entries.length; i++) {
    const entry = entries[i]!;
    const entryPath = join(folder, entry.path);
    yield entryView(entryPath, entry);
    if (recursive && entry.isDir) yield* walkFolder(agent, entryPath, undefined, true, false);
  }
}

async function listFolder(agent: AgentClient, folder: string, isRoot: boolean) {
  try {
    const entries = await agent.listDir(folder);
    // An entry naming the folder itself is skipped.
    return entries
      .filter((entry) => entry.path !== "" && entry.path !== ".")
      .sort((a, b) => compareNames(a.path, b.path));
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    if (isRoot) throw await describeMissingFolder(agent, folder, error);
    // A folder that vanished or cannot be read mid-walk is skipped, as the
    // agent's own recursive listing does.
    return [];
  }
}

async function describeMissingFolder(agent: AgentClient, folder: string, cause: NotFoundError): Promise<Error> {
  const entry = await agent.stat(folder).catch(() => undefined);
  if (entry && !entry.isDir) return new BadRequestError(`${folder} is not a directory`, { cause });
  return new NotFoundError(`no such directory: ${folder}`, { cause });
}

function firstIndexNotBefore(entries: { path: string }[], name: string): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareNames(entries[middle]!.path, name) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function relativeParts(root: string, target: string): string[] {
  const relative = path.posix.relative(root, target);
  if (relative === "" || relative === ".." || relative.startsWith("../"))
    throw new BadRequestError("cursor does not belong to this path");
  return relative.split("/");
}

const join = (folder: string, name: string) => path.posix.join(folder, name);
