/**
 * Whitespace as Go's `unicode.IsSpace` sees it. The original trims memory
 * texts and marker lines with `strings.TrimSpace` and collapses the overview
 * with `strings.Fields`; JavaScript's `trim()` and `\s` differ (they include
 * U+FEFF and exclude U+0085), so the parser, the escaper and the formatter all
 * use this one definition to agree on what a marker line is.
 */
export function isSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    code === 0x20 ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** The length of the whitespace a text starts with. */
export function leadingSpaceLength(text: string): number {
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  return start;
}

/** Go's strings.TrimSpace. A loop, not a regex: `[ ]+$` backtracks quadratically on long runs. */
export function trimSpace(text: string): string {
  const start = leadingSpaceLength(text);
  let end = text.length;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Go's strings.Fields: the non-empty runs between whitespace. */
export function fields(text: string): string[] {
  const found: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const space = i === text.length || isSpace(text.charCodeAt(i));
    if (space && start >= 0) {
      found.push(text.slice(start, i));
      start = -1;
    } else if (!space && start < 0) start = i;
  }
  return found;
}
