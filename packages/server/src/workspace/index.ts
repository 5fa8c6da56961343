// Public face of the workspace's files: what the server reads and writes in a
// bot's container file system through its agent (the file manager's service
// and the one bounded whole-file read). Named exports only.
export { containerPath, isProtectedPath, refuseProtected } from "./container-path.js";
export { type EntryView, entryView } from "./entry-view.js";
export {
  FileTooLargeError,
  hintFileError,
  NotRegularFileError,
  NotTextFileError,
  type NotTextReason,
} from "./file-errors.js";
export { compileGlob, type NameGlob } from "./glob.js";
export { type Page } from "./page.js";
export {
  type NoFollowFileReader,
  type NoFollowOptions,
  readWholeText,
  type ReadWholeTextOptions,
  type WholeFileReader,
  type WholeTextFile,
} from "./read-whole-text.js";
export { limitBytes, type UploadResult, type UploadSource, uploadTooLarge } from "./upload.js";
export {
  type DownloadableFile,
  type PageRequest,
  type PreparedUpload,
  type TextFile,
  WorkspaceFiles,
  type WorkspaceFilesOptions,
} from "./workspace-files.js";
