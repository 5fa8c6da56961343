import { parse as parseYaml } from "yaml";

import type { MemoryItem } from "./memory-item.js";
import { trimSpace } from "./whitespace.js";

const KEYS = new Map<string, "id" | "hash" | "createdAt" | "updatedAt">([
  ["id", "id"],
  ["hash", "hash"],
  ["created_at", "createdAt"],
  ["updated_at", "updatedAt"],
]);

/** A quoted YAML scalar unquoted; anything else as written (the original never unquoted). */
function scalar(raw: string): string {
  const value = trimSpace(raw);
  if (!/^(".*"|'.*')$/.test(value)) return value;
  try {
    const parsed: unknown = parseYaml(value);
    return typeof parsed === "string" ? trimSpace(parsed) : value;
  } catch {
    return value;
  }
}

/**
 * A legacy one-file-per-item memory (`/data/memory/<id>.md`): `---`,
 * `key: value` lines with id, hash, created_at and updated_at, `---`, then
 * the body. Undefined without frontmatter or without an id. The original cut
 * at the first `---` anywhere after the opening one; here the closing fence
 * is a line of its own, so a `---` inside a value does not end the block.
 */
export function parseLegacyMemory(content: string): MemoryItem | undefined {
  const trimmed = trimSpace(content);
  if (!trimmed.startsWith("---")) return undefined;
  const lines = trimmed.slice(3).split("\n");
  const close = lines.findIndex((line, index) => index > 0 && trimSpace(line) === "---");
  if (close < 0) return undefined;
  const item: MemoryItem = {
    id: "",
    text: trimSpace(lines.slice(close + 1).join("\n")),
    hash: "",
    createdAt: "",
    updatedAt: "",
  };
  for (const line of lines.slice(0, close)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = KEYS.get(trimSpace(line.slice(0, colon)));
    if (key) item[key] = scalar(line.slice(colon + 1));
  }
  return item.id ? item : undefined;
}
