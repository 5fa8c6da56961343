import { z } from "zod";

import { BadRequestError } from "../errors.js";
import type { EntryView } from "./entry-view.js";

/** What a cursor is valid for: the same kind of walk of the same folder. */
export interface PageScope {
  kind: string;
  root: string;
}

export interface Page {
  entries: EntryView[];
  /** Pass back as `cursor` for the next page; null when this one is the last. */
  nextCursor: string | null;
}

const cursorSchema = z.object({ v: z.literal(1), k: z.string(), r: z.string(), a: z.string() });

/** The cursor is opaque to callers: the last entry's path, bound to its walk. */
export function encodeCursor(scope: PageScope, lastPath: string): string {
  return Buffer.from(JSON.stringify({ v: 1, k: scope.kind, r: scope.root, a: lastPath })).toString("base64url");
}

/** The path to resume after, or a 400 for a cursor that is not from this walk. */
export function decodeCursor(scope: PageScope, cursor: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new BadRequestError("query.cursor: not a cursor this server gave out");
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw new BadRequestError("query.cursor: not a cursor this server gave out");
  if (parsed.data.k !== scope.kind || parsed.data.r !== scope.root) {
    throw new BadRequestError("query.cursor: belongs to another listing (path, recursive or pattern differ)");
  }
  return parsed.data.a;
}

export interface PageOptions {
  limit: number;
  /** Keep only the entries it accepts (a search); the others still move the cursor. */
  accept?: (entry: EntryView) => boolean;
  /** Stop after visiting this many entries even if fewer were kept, so a sparse search answers in bounded time. */
  scanBudget?: number;
}

/** Takes one page from a walk; the walk is closed afterwards. */
export async function collectPage(
  walk: AsyncGenerator<EntryView>,
  scope: PageScope,
  options: PageOptions,
): Promise<Page> {
  const entries: EntryView[] = [];
  let lastPath: string | undefined;
  let visited = 0;
  try {
    for (;;) {
      const next = await walk.next();
      if (next.done) return { entries, nextCursor: null };
      // Peeking one past the page tells a last page from a full one.
      if (entries.length >= options.limit || visited >= (options.scanBudget ?? Infinity)) {
        return { entries, nextCursor: encodeCursor(scope, lastPath!) };
      }
      visited++;
      lastPath = next.value.path;
      if (!options.accept || options.accept(next.value)) entries.push(next.value);
    }
  } finally {
    await walk.return(undefined);
  }
}
