/**
 * The exec tool's long output is cut to a head and a tail so it fits an
 * LLM's context. Sizes are UTF-8 bytes; cuts never split a character. The
 * header text is the original's, kept so prompts tuned to it still match.
 */
export const PRUNE_LIMITS = {
  maxBytes: 10 * 1024,
  maxLines: 250,
  headBytes: 4 * 1024,
  headLines: 150,
  tailBytes: 1024,
  tailLines: 50,
} as const;

const SNIP = "[...snip...]";

/** Lines as the original counts them: newlines plus one. */
export function countLines(text: string): number {
  let lines = 1;
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) lines++;
  return lines;
}

export function pruneToolOutput(text: string, label: string): string {
  const bytes = Buffer.byteLength(text);
  const lines = countLines(text);
  if (bytes <= PRUNE_LIMITS.maxBytes && lines <= PRUNE_LIMITS.maxLines) return text;
  return prunePieces(text, text, bytes, lines, label);
}

/**
 * The pruned layout from pieces of an output too long to keep whole: `head`
 * starts it and `tail` ends it (each at least as long as pruning shows), and
 * `bytes`/`lines` count the whole output. Always prunes: the caller knows the
 * output is over the limits.
 */
export function prunePieces(head: string, tail: string, bytes: number, lines: number, label: string): string {
  const headPart = headOf(head, PRUNE_LIMITS.headLines, PRUNE_LIMITS.headBytes);
  const tailPart = tailOf(tail, PRUNE_LIMITS.tailLines, PRUNE_LIMITS.tailBytes);
  const header = `[memoh pruned] ${label} too long (bytes=${bytes}, lines=${lines}), showing head/tail`;
  const pruned = `${header}\n\n${headPart}\n\n${SNIP}\n\n${tailPart}`;
  // With these limits the layout always fits; the cut only guards other limits.
  return headOf(pruned, PRUNE_LIMITS.maxLines, PRUNE_LIMITS.maxBytes);
}

/** At most `maxLines` lines (the text before the maxLines-th newline) and `maxBytes` bytes. */
export function headOf(text: string, maxLines: number, maxBytes: number): string {
  let end = -1;
  for (let line = 0; line < maxLines; line++) {
    end = text.indexOf("\n", end + 1);
    if (end === -1) break;
  }
  const byLines = end === -1 ? text : text.slice(0, end);
  return utf8Prefix(byLines, maxBytes);
}

/** At most `maxLines` lines (the text after the maxLines-th newline from the end) and `maxBytes` bytes. */
export function tailOf(text: string, maxLines: number, maxBytes: number): string {
  let start = text.length;
  for (let line = 0; line < maxLines; line++) {
    start = start === 0 ? -1 : text.lastIndexOf("\n", start - 1);
    if (start === -1) break;
  }
  const byLines = start === -1 ? text : text.slice(start + 1);
  return utf8Suffix(byLines, maxBytes);
}

/** The longest prefix of at most maxBytes UTF-8 bytes that ends on a character boundary. */
export function utf8Prefix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && isContinuationByte(bytes[end]!)) end--;
  return bytes.toString("utf8", 0, end);
}

/** The longest suffix of at most maxBytes UTF-8 bytes that starts on a character boundary. */
export function utf8Suffix(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && isContinuationByte(bytes[start]!)) start++;
  return bytes.toString("utf8", start);
}

export const isContinuationByte = (byte: number): boolean => (byte & 0xc0) === 0x80;
