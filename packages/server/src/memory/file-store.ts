import { ConflictError, NotFoundError } from "../errors.js";
import { formatMemoryDay, normalizeItem } from "./day-file.js";
import {
  dayFilePath,
  emptyManifest,
  formatManifest,
  fromManifestPath,
  legacyFilePath,
  type Manifest,
  MANIFEST_PATH,
  MEMORY_DIR,
  type MemoryFilters,
  OVERVIEW_PATH,
  parseManifest,
  toManifestPath,
} from "./manifest.js";
import {
  dedupe,
  MAX_MEMORY_FILE_BYTES,
  type MemoryFiles,
  MemoryFileTooLargeError,
  parseMemoryFile,
  readMemoryText,
} from "./memory-files.js";
import type { MemoryItem } from "./memory-item.js";
import { formatMemoryOverview } from "./overview.js";
import { memoryDate } from "./timestamps.js";
import { trimSpace } from "./whitespace.js";

export interface MemoryFileStoreOptions {
  /** The clock for "today" and the manifest's updated_at. */
  now?: () => Date;
  /** Told about memory files skipped while reading (not regular files, too large); default process.emitWarning. */
  warn?: (message: string) => void;
}

/** A memory file that parsed, with the items it holds. */
interface ScannedFile {
  path: string;
  items: MemoryItem[];
}

const READ_CONCURRENCY = 16;
/** Where a day file that no parser understood is kept before it is replaced; not `.md`, so never read as memory. */
const UNPARSED_SUFFIX = ".unparsed";

const addTo = (map: Map<string, Set<string>>, key: string, value: string) => {
  map.set(key, (map.get(key) ?? new Set()).add(value));
};

/**
 * The builtin memory provider's files in one bot's workspace: day
 * files `memory/YYYY-MM-DD.md`, legacy `memory/<id>.md`, the manifest
 * `index/manifest.json` and the overview `MEMORY.md`.
 *
 * Every file write is atomic on the agent, and writes go in an order where a
 * crash loses nothing: day files first, then removals from old files, then
 * the manifest, then the overview. The files are the truth; the manifest is
 * an index. Callers serialise writes per bot (BuiltinMemoryRuntime does).
 */
export class MemoryFileStore {
  private readonly now: () => Date;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly files: MemoryFiles,
    options: MemoryFileStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.warn = options.warn ?? ((message) => process.emitWarning(message, "BotboxMemoryWarning"));
  }

  /**
   * Adds or replaces items by ID, each in the day file of its date. An item
   * that moved (its manifest path or a legacy file holds it) is removed from
   * there after its new copy is written. Without `filters`, an entry keeps the
   * filters it had.
   */
  async persistMemories(items: MemoryItem[], filters?: MemoryFilters): Promise<void> {
    const written = items.map(normalizeItem).filter((item) => item !== undefined);
    if (written.length === 0) return;
    // A bot's first memory finds no manifest: it starts empty (the original failed here).
    const [manifest, listed] = await Promise.all([this.readManifest(), this.listMemoryDir()]);
    const existingNames = new Set(listed.map((entry) => entry.path));
    const now = this.now();
    const touched = new Map<string, Map<string, MemoryItem>>();
    const moved = new Map<string, Set<string>>();
    for (const item of written) {
      const date = memoryDate(item, now);
      const path = dayFilePath(date);
      const previous = manifest.entries.get(item.id);
      const oldPath = previous && fromManifestPath(previous.filePath);
      if (oldPath && oldPath !== path) addTo(moved, oldPath, item.id);
      const legacy = legacyFilePath(item.id);
      if (legacy && legacy !== path && existingNames.has(legacy.slice(MEMORY_DIR.length + 1))) {
        addTo(moved, legacy, item.id);
      }
      touched.set(path, (touched.get(path) ?? new Map()).set(item.id, item));
      manifest.entries.set(item.id, manifestEntry(item, date, path, filters ?? previous?.filters));
    }
    for (const [path, incoming] of touched) {
      const merged = new Map((await this.readForMerge(path)).map((item) => [item.id, item]));
      for (const [id, item] of incoming) merged.set(id, item);
      await this.writeDay(path, [...merged.values()]);
    }
    await this.removeFromFiles(moved);
    await this.writeManifest(manifest);
    await this.syncOverview();
  }

  /**
   * Replaces all memories with `items` (compaction). The original deleted the
   * memory folder first, so a crash right after lost everything; here the new
   * day files are written first and only then is every other file removed.
   */
  async rebuildFiles(items: MemoryItem[], filters?: MemoryFilters): Promise<void> {
    const previous = await this.readManifestOrEmpty();
    const manifest = emptyManifest();
    const now = this.now();
    const grouped = new Map<string, MemoryItem[]>();
    for (const item of dedupe(items.map(normalizeItem).filter((item) => item !== undefined))) {
      const date = memoryDate(item, now);
      const path = dayFilePath(date);
      grouped.set(path, [...(grouped.get(path) ?? []), item]);
      manifest.entries.set(item.id, manifestEntry(item, date, path, filters ?? previous.entries.get(item.id)?.filters));
    }
    for (const [path, dayItems] of grouped) await this.writeDay(path, dayItems);
    for (const entry of await this.listMemoryDir()) {
      const path = `${MEMORY_DIR}/${entry.path}`;
      if (grouped.has(path) || entry.path.endsWith(UNPARSED_SUFFIX)) continue;
      await this.files.deleteFile(path, { recursive: entry.isDir });
    }
    await this.writeManifest(manifest);
    await this.syncOverview();
  }

  /**
   * Removes items from every memory file that holds them; a file left without
   * items is deleted. The original looked only where the manifest pointed
   * (and at `<id>.md`), so an item the manifest had lost track of stayed.
   */
  async removeMemories(ids: string[]): Promise<void> {
    const wanted = new Set(ids.map(trimSpace).filter((id) => id !== ""));
    if (wanted.size === 0) return;
    const [manifest, scanned] = await Promise.all([this.readManifest(), this.scanFiles()]);
    const removals = new Map<string, Set<string>>();
    for (const file of scanned) {
      for (const item of file.items) if (wanted.has(item.id)) addTo(removals, file.path, item.id);
    }
    await this.removeFromFiles(removals, scanned);
    for (const id of wanted) manifest.entries.delete(id);
    await this.writeManifest(manifest);
    const left = scanned.flatMap((file) => file.items).filter((item) => !wanted.has(item.id));
    await this.files.writeRaw(OVERVIEW_PATH, formatMemoryOverview(dedupe(left)));
  }

  async removeAllMemories(): Promise<void> {
    await this.files.deleteFile(MEMORY_DIR, { recursive: true });
    await this.writeManifest(emptyManifest());
    await this.syncOverview();
  }

  /** Every memory in the memory folder, one per ID, oldest first. Files that parse in neither format are skipped. */
  async readAllMemoryFiles(): Promise<MemoryItem[]> {
    return dedupe((await this.scanFiles()).flatMap((file) => file.items));
  }

  /** Rewrites MEMORY.md from the files; returns the items it lists. */
  async syncOverview(): Promise<MemoryItem[]> {
    const items = await this.readAllMemoryFiles();
    await this.files.writeRaw(OVERVIEW_PATH, formatMemoryOverview(items));
    return items;
  }

  /**
   * Rebuilds the index from the files: a fresh manifest pointing at where each
   * item really is (keeping known filters), then the overview. Repairs a
   * manifest that drifted or no longer parses. Returns the item count.
   */
  async rebuildIndex(): Promise<number> {
    const previous = await this.readManifestOrEmpty();
    const scanned = await this.scanFiles();
    const items = dedupe(scanned.flatMap((file) => file.items));
    const pathOf = new Map<string, string>();
    for (const file of scanned) for (const item of file.items) if (!pathOf.has(item.id)) pathOf.set(item.id, file.path);
    const manifest = emptyManifest();
    const now = this.now();
    for (const item of items) {
      const date = memoryDate(item, now);
      const path = pathOf.get(item.id) ?? dayFilePath(date);
      manifest.entries.set(item.id, manifestEntry(item, date, path, previous.entries.get(item.id)?.filters));
    }
    await this.writeManifest(manifest);
    await this.files.writeRaw(OVERVIEW_PATH, formatMemoryOverview(items));
    return items.length;
  }

  /** The manifest; empty when there is none yet. ConflictError "parse manifest" when it is not JSON. */
  async readManifest(): Promise<Manifest> {
    const read = await readMemoryText(this.files, MANIFEST_PATH);
    if (read.kind === "missing") return emptyManifest();
    if (read.kind === "skipped") {
      throw new ConflictError(
        `parse manifest ${MANIFEST_PATH}: ${read.reason} (a memory rebuild rewrites it from the memory files)`,
      );
    }
    return parseManifest(read.content, this.now());
  }

  /** For a rewrite from the files: a manifest that does not parse only loses the filters it held. */
  private readManifestOrEmpty(): Promise<Manifest> {
    return this.readManifest().catch((error: unknown) => {
      if (error instanceof ConflictError) return emptyManifest();
      throw error;
    });
  }

  private async writeManifest(manifest: Manifest): Promise<void> {
    await this.writeCapped(MANIFEST_PATH, formatManifest(manifest, this.now()));
  }

  private async writeDay(path: string, items: MemoryItem[]): Promise<void> {
    const date = path.slice(MEMORY_DIR.length + 1, -".md".length);
    await this.writeCapped(path, formatMemoryDay(date, items));
  }

  /**
   * Writes a memory file through the streaming upload (atomic like WriteFile,
   * but not bound by gRPC's 4 MiB message limit), refusing past the read cap
   * so that everything written can be read back.
   */
  private async writeCapped(path: string, content: string): Promise<void> {
    const bytes = Buffer.from(content, "utf8");
    if (bytes.length > MAX_MEMORY_FILE_BYTES) throw new MemoryFileTooLargeError(path, bytes.length);
    await this.files.writeRaw(path, bytes);
  }

  /**
   * The items already in a day file about to be rewritten. A file no parser
   * understands (a bot's own edit, say) is copied aside first: the original
   * silently overwrote it.
   */
  private async readForMerge(path: string): Promise<MemoryItem[]> {
    const read = await readMemoryText(this.files, path);
    if (read.kind === "missing") return [];
    // Too large already: anything added would only make it larger.
    if (read.kind === "skipped" && read.why === "too_large") throw new MemoryFileTooLargeError(path, "over");
    if (read.kind === "skipped" && read.why === "not_text") {
      // Bytes no decoder takes (a bot's own edit, say) are kept aside whole, as an unparsed file is.
      this.warn(`memory: moving ${path} aside: ${read.reason}`);
      await this.files.rename(path, `${path}.${this.now().getTime()}${UNPARSED_SUFFIX}`);
      return [];
    }
    if (read.kind === "skipped") {
      // Not a regular file (a FIFO, a link to a device): it holds no memories.
      // Removed first, as the agent's writes follow symlinks: the new day file
      // must replace the link, not be written into a device behind it.
      this.warn(`memory: replacing ${path}: ${read.reason}`);
      await this.files.deleteFile(path);
      return [];
    }
    const { content } = read;
    const items = parseMemoryFile(content);
    if (items) return items;
    if (trimSpace(content) !== "")
      await this.files.writeRaw(`${path}.${this.now().getTime()}${UNPARSED_SUFFIX}`, content);
    return [];
  }

  /** Drops IDs from files; rewrites a file only when something was removed, deletes it when nothing is left. */
  private async removeFromFiles(removals: Map<string, Set<string>>, scanned: ScannedFile[] = []): Promise<void> {
    const known = new Map(scanned.map((file) => [file.path, file.items]));
    for (const [path, ids] of removals) {
      let items = known.get(path);
      if (!items) {
        const read = await readMemoryText(this.files, path);
        items = read.kind === "text" ? parseMemoryFile(read.content) : undefined;
      }
      if (!items) continue;
      const left = items.filter((item) => !ids.has(item.id));
      if (left.length === items.length) continue;
      if (left.length === 0) await this.files.deleteFile(path);
      else await this.writeDay(path, left);
    }
  }

  private async listMemoryDir() {
    try {
      return await this.files.listDir(MEMORY_DIR);
    } catch (error) {
      if (error instanceof NotFoundError) return [];
      throw error;
    }
  }

  /**
   * Every `.md` file directly in the memory folder that parses, in listing
   * order. Only regular files (or symlinks to them) are read: a FIFO would
   * block the read and a device such as /dev/zero never ends.
   */
  private async scanFiles(): Promise<ScannedFile[]> {
    const entries = (await this.listMemoryDir()).filter((entry) => {
      if (entry.isDir || !entry.path.endsWith(".md")) return false;
      // The listing describes links themselves (lstat); readText stats their targets.
      if (entry.kind === "file" || entry.kind === "symlink") return true;
      this.warn(`memory: skipped ${MEMORY_DIR}/${entry.path}: not a regular file (${entry.mode})`);
      return false;
    });
    const scanned: (ScannedFile | undefined)[] = [];
    for (let start = 0; start < entries.length; start += READ_CONCURRENCY) {
      const batch = entries.slice(start, start + READ_CONCURRENCY);
      scanned.push(
        ...(await Promise.all(
          batch.map(async (entry) => {
            const path = `${MEMORY_DIR}/${entry.path}`;
            const read = await readMemoryText(this.files, path, entry);
            if (read.kind === "skipped") this.warn(`memory: skipped ${path}: ${read.reason}`);
            const items = read.kind === "text" ? parseMemoryFile(read.content) : undefined;
            return items && { path, items };
          }),
        )),
      );
    }
    return scanned.filter((file) => file !== undefined);
  }
}

/** A memory's manifest entry; the filters are copied, so later changes to the caller's object do not leak in. */
function manifestEntry(item: MemoryItem, date: string, path: string, filters: MemoryFilters | undefined) {
  return {
    hash: item.hash,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    date,
    filePath: toManifestPath(path),
    ...(filters ? { filters: structuredClone(filters) } : {}),
  };
}
