// Public face of the memory provider. Anything exported here is public API;
// named exports only.
export {
  type AddMemoryInput,
  BuiltinMemoryRuntime,
  type BuiltinMemoryRuntimeOptions,
  type CompactResult,
  type MemoryUsage,
  type ScoredMemory,
} from "./builtin-runtime.js";
export { formatMemoryDay, parseMemoryDay } from "./day-file.js";
export { MemoryFileStore, type MemoryFileStoreOptions } from "./file-store.js";
export { parseLegacyMemory } from "./legacy-file.js";
export { MANIFEST_PATH, MEMORY_DIR, type MemoryFilters, OVERVIEW_PATH } from "./manifest.js";
export { escapeMarkerLines, unescapeMarkerLine } from "./marker-escape.js";
export { MAX_MEMORY_FILE_BYTES, type MemoryFiles, MemoryFileTooLargeError } from "./memory-files.js";
export { botIdOfMemoryId, newMemoryId } from "./memory-ids.js";
export type { MemoryItem } from "./memory-item.js";
export { MAX_MEMORY_TEXT_BYTES, type MemoryMessage } from "./memory-text.js";
export { formatMemoryOverview } from "./overview.js";
