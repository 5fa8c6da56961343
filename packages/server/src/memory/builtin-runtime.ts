import { BadRequestError, NotFoundError } from "../errors.js";
import { KeyedLock } from "../lib/index.js";
import { MemoryFileStore } from "./file-store.js";
import type { MemoryFilters } from "./manifest.js";
import type { MemoryFiles } from "./memory-files.js";
import { botIdOfMemoryId, newMemoryId } from "./memory-ids.js";
import type { MemoryItem } from "./memory-item.js";
import { memoryHash, type MemoryMessage, messagesText, normalizeMemoryText } from "./memory-text.js";
import { searchScore } from "./search-score.js";
import { compareInstants, formatRfc3339, parseRfc3339 } from "./timestamps.js";
import { trimSpace } from "./whitespace.js";

export interface BuiltinMemoryRuntimeOptions {
  /** The files of a bot's workspace: its agent client. */
  clients: (botId: string) => Promise<MemoryFiles>;
  now?: () => Date;
}

export interface AddMemoryInput {
  message?: string;
  messages?: MemoryMessage[];
  /** Kept with the memory's manifest entry. */
  filters?: MemoryFilters;
}

export interface ScoredMemory extends MemoryItem {
  score: number;
}

export interface CompactResult {
  beforeCount: number;
  afterCount: number;
  ratio: number;
  results: MemoryItem[];
}

export interface MemoryUsage {
  count: number;
  totalTextBytes: number;
  avgTextBytes: number;
  estimatedStorageBytes: number;
}

/** Newest first by updated_at, then by ID (newer IDs are larger), as GetAll, Search and Compact order. */
function newestUpdatedFirst(a: MemoryItem, b: MemoryItem): number {
  return (
    compareInstants(parseRfc3339(b.updatedAt), parseRfc3339(a.updatedAt)) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  );
}

/**
 * The "builtin" memory provider: memories as Markdown files in the
 * bot's own workspace, through MemoryFileStore. Writes are serialised per bot,
 * since each one reads, merges and rewrites day files and the manifest.
 * A memory ID belongs to the bot named before its ":"; asking one bot for
 * another bot's memory is "not found".
 */
export class BuiltinMemoryRuntime {
  private readonly lock = new KeyedLock();
  private readonly now: () => Date;

  constructor(private readonly options: BuiltinMemoryRuntimeOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async add(botId: string, input: AddMemoryInput): Promise<MemoryItem> {
    let text = trimSpace(input.message ?? "");
    if (text === "" && input.messages?.length) text = messagesText(input.messages);
    text = normalizeMemoryText(text, "message");
    return this.write(botId, async (store) => {
      const now = formatRfc3339(this.now());
      const item = { id: newMemoryId(botId), text, hash: memoryHash(text), createdAt: now, updatedAt: now };
      await store.persistMemories([item], input.filters);
      return item;
    });
  }

  /** Memories matching a query, best first (then most recently updated). */
  async search(botId: string, query: string, limit: number): Promise<ScoredMemory[]> {
    const wanted = trimSpace(query).toLowerCase();
    const scored = (await this.readAll(botId))
      .map((item) => ({ ...item, score: searchScore(wanted, item.text) }))
      .filter((item) => wanted === "" || item.score > 0);
    return scored.sort((a, b) => b.score - a.score || newestUpdatedFirst(a, b)).slice(0, limit);
  }

  /** The most recently updated memories first. */
  async getAll(botId: string, limit: number): Promise<MemoryItem[]> {
    return (await this.readAll(botId)).sort(newestUpdatedFirst).slice(0, limit);
  }

  async get(botId: string, memoryId: string): Promise<MemoryItem> {
    return this.find(botId, memoryId, await this.readAll(this.owner(botId, memoryId)));
  }

  /** New text, hash and updated_at; the ID and created_at stay. The new copy is written before any old one goes. */
  async update(botId: string, memoryId: string, rawText: string): Promise<MemoryItem> {
    const text = normalizeMemoryText(rawText);
    return this.write(this.owner(botId, memoryId), async (store) => {
      const existing = this.find(botId, memoryId, await store.readAllMemoryFiles());
      const updated = { ...existing, text, hash: memoryHash(text), updatedAt: formatRfc3339(this.now()) };
      await store.persistMemories([updated]);
      return updated;
    });
  }

  async delete(botId: string, memoryId: string): Promise<void> {
    await this.write(this.owner(botId, memoryId), async (store) => {
      this.find(botId, memoryId, await store.readAllMemoryFiles());
      await store.removeMemories([memoryId]);
    });
  }

  /** Deletes those of the IDs this bot has; others (missing, or another bot's) are skipped. Returns how many went. */
  async deleteBatch(botId: string, memoryIds: string[]): Promise<number> {
    const own = new Set(memoryIds.filter((id) => botIdOfMemoryId(id) === botId));
    if (own.size === 0) return 0;
    return this.write(botId, async (store) => {
      const present = (await store.readAllMemoryFiles()).filter((item) => own.has(item.id)).map((item) => item.id);
      if (present.length > 0) await store.removeMemories(present);
      return present.length;
    });
  }

  /** Deletes every memory of the bot; returns how many there were. */
  async deleteAll(botId: string): Promise<number> {
    return this.write(botId, async (store) => {
      const count = (await store.readAllMemoryFiles()).length;
      await store.removeAllMemories();
      return count;
    });
  }

  /** Keeps the newest floor(n·ratio) memories by updated_at (at least one), ratio in (0, 1]. */
  async compact(botId: string, ratio: number, filters?: MemoryFilters): Promise<CompactResult> {
    if (!Number.isFinite(ratio) || ratio <= 0 || ratio > 1) {
      throw new BadRequestError("ratio must be in range (0, 1]");
    }
    return this.write(botId, async (store) => {
      const items = (await store.readAllMemoryFiles()).sort(newestUpdatedFirst);
      if (items.length === 0) return { beforeCount: 0, afterCount: 0, ratio, results: [] };
      const target = Math.min(items.length, Math.max(1, Math.floor(items.length * ratio)));
      const kept = items.slice(0, target);
      await store.rebuildFiles(kept, filters);
      return { beforeCount: items.length, afterCount: kept.length, ratio, results: kept };
    });
  }

  async usage(botId: string): Promise<MemoryUsage> {
    const items = await this.readAll(botId);
    const totalTextBytes = items.reduce((sum, item) => sum + Buffer.byteLength(item.text), 0);
    return {
      count: items.length,
      totalTextBytes,
      avgTextBytes: items.length > 0 ? Math.floor(totalTextBytes / items.length) : 0,
      estimatedStorageBytes: totalTextBytes,
    };
  }

  /** Rebuilds the manifest and the overview from the memory files; returns how many memories they hold. */
  async rebuild(botId: string): Promise<number> {
    return this.write(botId, (store) => store.rebuildIndex());
  }

  private async store(botId: string): Promise<MemoryFileStore> {
    return new MemoryFileStore(await this.options.clients(botId), { now: this.now });
  }

  private async readAll(botId: string): Promise<MemoryItem[]> {
    return (await this.store(botId)).readAllMemoryFiles();
  }

  private write<T>(botId: string, work: (store: MemoryFileStore) => Promise<T>): Promise<T> {
    return this.lock.run(botId, async () => work(await this.store(botId)));
  }

  /** The bot a memory ID belongs to, which must be the one asked: another bot's memory does not exist for it. */
  private owner(botId: string, memoryId: string): string {
    if (botIdOfMemoryId(memoryId) !== botId) throw new NotFoundError(`memory ${memoryId} not found`);
    return botId;
  }

  private find(botId: string, memoryId: string, items: MemoryItem[]): MemoryItem {
    const found = botIdOfMemoryId(memoryId) === botId ? items.find((item) => item.id === memoryId) : undefined;
    if (!found) throw new NotFoundError(`memory ${memoryId} not found`);
    return found;
  }
}
