// Public face of media storage. Anything exported here is public API; named
// exports only.
export { type AgentLookup, ContainerFsStorage } from "./containerfs/container-fs-storage.js";
export { MediaTooLargeError } from "./errors.js";
export {
  type IngestInput,
  type MediaEntry,
  type MediaRecord,
  MediaService,
  type MediaServiceOptions,
  type OpenedMedia,
} from "./media-service.js";
export type { IngestSource } from "./metered-digest.js";
export { DEFAULT_MIME, extensionFor, mimeForPath, normalizeMime } from "./mime-types.js";
export {
  checkListPrefix,
  checkStorageKey,
  MEDIA_ROOT,
  parseRoutingKey,
  type RoutingKey,
  splitRoutingKey,
} from "./routing-key.js";
export type { ByteSource, MediaStorage, StoredObject } from "./storage.js";
