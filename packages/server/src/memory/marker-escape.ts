import { leadingSpaceLength } from "./whitespace.js";

/**
 * Escaping of memory texts inside day files.
 *
 * A day file delimits each memory with marker lines (`<!-- MEMOH:ENTRY {…} -->`
 * and `<!-- /MEMOH:ENTRY -->`), and the parser recognises them after trimming
 * whitespace. In the original a memory containing the end-marker line
 * corrupted the file. Here a text line is "marker-like" when, after
 * its leading whitespace, it has zero or more backslashes and then
 * `<!-- MEMOH:` or `<!-- /MEMOH:`.
 *
 * - Writing adds one backslash after the leading whitespace of every
 *   marker-like line; reading removes one from every marker-like body line
 *   that has at least one. Other lines are never touched.
 * - So a line with k backslashes is stored with k + 1, and no stored body line
 *   can be taken for a marker; reading gives back exactly k. The pair is
 *   lossless for every text, including texts that already contain the escape.
 * - Escaping is deliberately not idempotent (like mbox's ">From " quoting):
 *   it is applied exactly once when a file is written and undone exactly once
 *   when it is read.
 * - Leading and trailing whitespace of the whole text are unaffected, so the
 *   parser's trimming of the body does not interact with the escape.
 *
 * Files written by the original never escaped; one of its memories with a line
 * starting `\<!-- MEMOH:` would read back with one backslash fewer.
 */
const MARKER_LIKE = /^\\*<!-- \/?MEMOH:/;

function isMarkerLike(line: string, start: number): boolean {
  return MARKER_LIKE.test(line.slice(start));
}

export function escapeMarkerLines(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const start = leadingSpaceLength(line);
      return isMarkerLike(line, start) ? `${line.slice(0, start)}\\${line.slice(start)}` : line;
    })
    .join("\n");
}

export function unescapeMarkerLine(line: string): string {
  const start = leadingSpaceLength(line);
  return line[start] === "\\" && isMarkerLike(line, start) ? line.slice(0, start) + line.slice(start + 1) : line;
}
