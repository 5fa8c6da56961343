import { escapeMarkerLines, unescapeMarkerLine } from "./marker-escape.js";
import { goJson, type MemoryItem } from "./memory-item.js";
import { compareInstants, memoryTime } from "./timestamps.js";
import { trimSpace } from "./whitespace.js";

// The original's names and formats, kept so existing bots' files stay readable.
export const ENTRY_START_PREFIX = "<!-- MEMOH:ENTRY ";
export const ENTRY_START_SUFFIX = " -->";
export const ENTRY_END_MARKER = "<!-- /MEMOH:ENTRY -->";

/** Items in file order: by time (created_at, else updated_at), then by ID. */
export function sortByTime(items: MemoryItem[]): MemoryItem[] {
  return [...items].sort(
    (a, b) => compareInstants(memoryTime(a), memoryTime(b)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** An item with its ID and text trimmed, or undefined when either is then empty (such items are never written). */
export function normalizeItem(item: MemoryItem): MemoryItem | undefined {
  const id = trimSpace(item.id);
  const text = trimSpace(item.text);
  return id && text ? { ...item, id, text } : undefined;
}

/** The entry metadata: id, plus hash and the timestamps when non-empty, keys sorted. */
function entryMeta(item: MemoryItem): string {
  const meta: Record<string, string> = {};
  if (item.createdAt) meta.created_at = item.createdAt;
  if (item.hash) meta.hash = item.hash;
  meta.id = item.id;
  if (item.updatedAt) meta.updated_at = item.updatedAt;
  return goJson(meta);
}

/** `/data/memory/<date>.md`: a heading, then each entry between its markers, marker-like text lines escaped. */
export function formatMemoryDay(date: string, items: MemoryItem[]): string {
  let out = `# Memory ${date}\n\n`;
  const written = items.map(normalizeItem).filter((item) => item !== undefined);
  for (const item of sortByTime(written)) {
    out += `${ENTRY_START_PREFIX}${entryMeta(item)}${ENTRY_START_SUFFIX}\n`;
    out += `${escapeMarkerLines(item.text)}\n${ENTRY_END_MARKER}\n\n`;
  }
  return out;
}

function readMeta(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith(ENTRY_START_PREFIX)) return undefined;
  const rest = line.slice(ENTRY_START_PREFIX.length);
  if (!rest.endsWith(ENTRY_START_SUFFIX)) return undefined;
  try {
    const meta: unknown = JSON.parse(rest.slice(0, -ENTRY_START_SUFFIX.length));
    return meta !== null && typeof meta === "object" && !Array.isArray(meta)
      ? (meta as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const field = (meta: Record<string, unknown>, key: string) =>
  typeof meta[key] === "string" ? trimSpace(meta[key]) : "";

/**
 * The entries of a day file, or undefined when it has none (the caller then
 * tries the legacy format). As the original: a start marker whose JSON does
 * not parse is skipped, a missing end marker stops parsing, and entries with
 * an empty ID or text are dropped.
 */
export function parseMemoryDay(content: string): MemoryItem[] | undefined {
  const lines = trimSpace(content).split("\n");
  const items: MemoryItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const meta = readMeta(trimSpace(lines[i]!));
    if (!meta) continue;
    let end = i + 1;
    while (end < lines.length && trimSpace(lines[end]!) !== ENTRY_END_MARKER) end++;
    if (end >= lines.length) break;
    const text = trimSpace(
      lines
        .slice(i + 1, end)
        .map(unescapeMarkerLine)
        .join("\n"),
    );
    const item = {
      id: field(meta, "id"),
      text,
      hash: field(meta, "hash"),
      createdAt: field(meta, "created_at"),
      updatedAt: field(meta, "updated_at"),
    };
    if (item.id && item.text) items.push(item);
    i = end;
  }
  return items.length > 0 ? items : undefined;
}
