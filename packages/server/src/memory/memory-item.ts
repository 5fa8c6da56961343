/**
 * One memory as the file store keeps it. Absent fields are "" (as in the
 * original's Go structs), so legacy files without hash or timestamps read back
 * the same way they were written.
 */
export interface MemoryItem {
  /** `<botID>:mem_<unixnano>` for memories the runtime made; anything non-empty in older data. */
  id: string;
  /** The memory text, without surrounding whitespace. */
  text: string;
  /** sha256 hex of the text. */
  hash: string;
  /** RFC 3339. */
  createdAt: string;
  updatedAt: string;
}

/**
 * Go's json.Marshal escapes <, >, & and U+2028/U+2029 in strings. Matching it
 * keeps marker lines free of a literal `-->`, which would end the HTML
 * comment when the Markdown is rendered.
 */
export function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[<>&\u2028\u2029]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** A copy of a JSON value with every object's keys in sorted order, as Go writes maps. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
  );
}
