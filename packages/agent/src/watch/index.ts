// The file watch (docs/watch.md): botbox.files.v1.FileWatchService.
export { createFileWatchService, type FileWatchServiceOptions } from "./watch-service.js";
export { loadWatchSettings, type WatchSettings } from "./watch-settings.js";
