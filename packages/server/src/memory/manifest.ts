import { ConflictError } from "../errors.js";
import { goJson, sortedKeys } from "./memory-item.js";
import { formatRfc3339, parseMemoryDate, todayOf } from "./timestamps.js";

/** Paths relative to the agent's data folder, which is /data in a bot's workspace. */
export const MEMORY_DIR = "memory";
export const MANIFEST_PATH = "index/manifest.json";
export const OVERVIEW_PATH = "MEMORY.md";
/** How the original's manifest names files: absolute, under the workspace's /data. */
const DATA_MOUNT = "/data/";

export type MemoryFilters = Record<string, unknown>;

export interface ManifestEntry {
  hash: string;
  createdAt: string;
  updatedAt: string;
  date: string;
  /** As written in the manifest: `/data/memory/<name>.md`. */
  filePath: string;
  filters?: MemoryFilters;
}

/** `index/manifest.json`. Entries in a Map: memory IDs are data, and `__proto__` is a valid one. */
export interface Manifest {
  version: number;
  updatedAt: string;
  entries: Map<string, ManifestEntry>;
}

export function emptyManifest(): Manifest {
  return { version: 1, updatedAt: "", entries: new Map() };
}

export function dayFilePath(date: string): string {
  return `${MEMORY_DIR}/${date}.md`;
}

/** `memory/<id>.md`, or undefined for an ID that cannot be one file name there. */
export function legacyFilePath(id: string): string | undefined {
  return id === "" || id.includes("/") || id.includes("\0") ? undefined : `${MEMORY_DIR}/${id}.md`;
}

export function toManifestPath(relativePath: string): string {
  return DATA_MOUNT + relativePath;
}

/**
 * The data-relative path of a manifest `file_path`, accepted only when it
 * names a Markdown file directly in the memory folder: the manifest is a file
 * in the workspace, and must not steer deletes elsewhere.
 */
export function fromManifestPath(filePath: string): string | undefined {
  const relative = filePath.startsWith(DATA_MOUNT) ? filePath.slice(DATA_MOUNT.length) : filePath;
  const name = relative.startsWith(`${MEMORY_DIR}/`) ? relative.slice(MEMORY_DIR.length + 1) : "";
  return name.endsWith(".md") && !name.includes("/") && !name.includes("\0") ? relative : undefined;
}

const REPAIR_HINT = " (a memory rebuild rewrites it from the memory files)";

const text = (value: unknown) => (typeof value === "string" ? value : "");
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Parses the manifest and backfills a missing `date` (from created_at, else
 * today) and `file_path` (the day file of that date), as the original did.
 */
export function parseManifest(content: string, now: Date): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    throw new ConflictError(`parse manifest ${MANIFEST_PATH}: ${(error as Error).message}${REPAIR_HINT}`, {
      cause: error,
    });
  }
  if (!isObject(raw)) throw new ConflictError(`parse manifest ${MANIFEST_PATH}: not a JSON object${REPAIR_HINT}`);
  const manifest: Manifest = {
    version: typeof raw.version === "number" && raw.version !== 0 ? raw.version : 1,
    updatedAt: text(raw.updated_at),
    entries: new Map(),
  };
  for (const [id, value] of Object.entries(isObject(raw.entries) ? raw.entries : {})) {
    const entry = isObject(value) ? value : {};
    const createdAt = text(entry.created_at);
    const date = text(entry.date).trim() || parseMemoryDate(createdAt) || todayOf(now);
    manifest.entries.set(id, {
      hash: text(entry.hash),
      createdAt,
      updatedAt: text(entry.updated_at),
      date,
      filePath: text(entry.file_path).trim() || toManifestPath(dayFilePath(date)),
      ...(isObject(entry.filters) && Object.keys(entry.filters).length > 0 ? { filters: entry.filters } : {}),
    });
  }
  return manifest;
}

/** 2-space JSON as Go's MarshalIndent writes it: fixed field order, map keys sorted, empty optionals left out. */
export function formatManifest(manifest: Manifest, now: Date): string {
  const entries = [...manifest.entries.keys()].sort().map((id) => {
    const entry = manifest.entries.get(id)!;
    return [
      id,
      {
        hash: entry.hash,
        created_at: entry.createdAt,
        ...(entry.updatedAt ? { updated_at: entry.updatedAt } : {}),
        ...(entry.date ? { date: entry.date } : {}),
        ...(entry.filePath ? { file_path: entry.filePath } : {}),
        ...(entry.filters && Object.keys(entry.filters).length > 0 ? { filters: sortedKeys(entry.filters) } : {}),
      },
    ] as const;
  });
  return goJson(
    { version: manifest.version || 1, updated_at: formatRfc3339(now), entries: Object.fromEntries(entries) },
    2,
  );
}
