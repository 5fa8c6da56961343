import type { MemoryItem } from "./memory-item.js";
import { compareInstants, memoryTime } from "./timestamps.js";
import { fields, trimSpace } from "./whitespace.js";

export const OVERVIEW_MAX_ITEMS = 500;
export const OVERVIEW_MAX_TEXT_BYTES = 400;

/** The longest prefix of a text that fits in `maxBytes` of UTF-8 without splitting a character. */
export function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** One line of the overview's text: whitespace collapsed, cut to 400 bytes plus "..." when longer. */
export function overviewText(text: string): string {
  const collapsed = fields(text).join(" ");
  if (Buffer.byteLength(collapsed) <= OVERVIEW_MAX_TEXT_BYTES) return collapsed;
  // The original cut at byte 400 even inside a character; this cuts before it.
  return `${trimSpace(utf8Prefix(collapsed, OVERVIEW_MAX_TEXT_BYTES))}...`;
}

/**
 * `/data/MEMORY.md`: `# MEMORY`, then the newest 500 items (time
 * descending, then ID descending) as `N. [<created_at|unknown>] (<id>) <text>`.
 * Items without text are left out, and numbers stay consecutive.
 */
export function formatMemoryOverview(items: MemoryItem[]): string {
  let out = "# MEMORY\n\n";
  const listed = items.filter((item) => trimSpace(item.text) !== "");
  if (listed.length === 0) return `${out}> No memory entries yet.\n`;
  const newestFirst = listed.sort(
    (a, b) => compareInstants(memoryTime(b), memoryTime(a)) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
  newestFirst.slice(0, OVERVIEW_MAX_ITEMS).forEach((item, index) => {
    const id = trimSpace(item.id) || "unknown";
    const created = trimSpace(item.createdAt) || "unknown";
    out += `${index + 1}. [${created}] (${id}) ${overviewText(item.text)}\n`;
  });
  return out;
}
