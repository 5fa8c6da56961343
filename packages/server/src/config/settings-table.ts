import { ENVIRONMENT_VARIABLES } from "./environment.js";
import { configSchema } from "./schema.js";
import { listSettings, unwrapField } from "./settings.js";

// docs/server.md holds these tables between markers; scripts/settings-table.ts
// rewrites them and test/cli/settings-table.test.ts fails when they are stale.
const MARKERS = {
  settings: ["<!-- settings-table:start -->", "<!-- settings-table:end -->"],
  environment: ["<!-- environment-table:start -->", "<!-- environment-table:end -->"],
} as const;

/** A markdown table laid out as Prettier lays it out, so `prettier --check` accepts the generated file. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(3, cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

function formatBytes(value: number): string | undefined {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
  ] as const) {
    if (value >= size && value % size === 0) return `${value / size} ${unit}`;
  }
  return undefined;
}

function formatDefault(key: string, value: unknown): string {
  if (value === undefined) return "unset";
  if (value === "") return "empty";
  if (typeof value === "object" && value !== null && Object.keys(value).length === 0) return "empty";
  if (typeof value === "number" && key.endsWith("_bytes")) return formatBytes(value) ?? `\`${value}\``;
  return `\`${String(value)}\``;
}

/** A short type: the allowed values of an enum, else the scalar's kind. */
function formatType(field: Parameters<typeof unwrapField>[0]): string {
  const inner = unwrapField(field) as unknown as { def: { type: string; entries?: Record<string, string> } };
  if (inner.def.type === "enum") return Object.values(inner.def.entries ?? {}).join(" \\| ");
  // A table (a TOML inline table, or `name=value,…` from the environment) is a union whose first option is a record.
  const first = (inner.def as { options?: { def: { type: string } }[] }).options?.[0];
  if (inner.def.type === "union" && first?.def.type === "record") return "table";
  if (inner.def.type === "union") return "boolean";
  return inner.def.type;
}

export function renderSettingsTable(): string {
  const defaults = configSchema.parse({}) as unknown as Record<string, Record<string, unknown>>;
  const rows = listSettings().map((setting) => [
    `\`${setting.path}\``,
    formatType(setting.field),
    formatDefault(setting.key, defaults[setting.section]![setting.key]),
    setting.envNames
      .slice(0, -1)
      .map((name) => `\`${name}\``)
      .join(", "),
    setting.description,
  ]);
  return markdownTable(["key", "type", "default", "short env", "meaning"], rows);
}

export function renderEnvironmentTable(): string {
  return markdownTable(
    ["variable", "read by", "meaning"],
    ENVIRONMENT_VARIABLES.map((variable) => [`\`${variable.name}\``, variable.readBy, variable.meaning]),
  );
}

/** `document` with both tables replaced by the schema's; throws when a marker is missing. */
export function renderSettingsTables(document: string): string {
  let result = document;
  for (const [name, table] of [
    ["settings", renderSettingsTable()],
    ["environment", renderEnvironmentTable()],
  ] as const) {
    const [start, end] = MARKERS[name];
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from === -1 || to < from) throw new Error(`the document has no ${start} … ${end} markers`);
    result = `${result.slice(0, from + start.length)}\n\n${table}\n\n${result.slice(to)}`;
  }
  return result;
}
