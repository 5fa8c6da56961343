import type { Readable } from "node:stream";

/**
 * Collects the JSON log lines a child process writes (pino), calling
 * `onEntry` for each; lines that are not JSON are kept as `{ raw }`.
 */
export function followJsonLines(
  stream: Readable,
  onEntry: (entry: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  let pending = "";
  stream.setEncoding("utf8").on("data", (text: string) => {
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        entries.push(entry);
        onEntry(entry);
      } catch {
        entries.push({ raw: line });
      }
    }
  });
  return entries;
}
