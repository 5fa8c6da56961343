// Public face of the workspace's files: what the server reads and writes in a
// bot's file system through its agent. Named exports only.
export { FileTooLargeError, NotRegularFileError, NotTextFileError, type NotTextReason } from "./file-errors.js";
export {
  type NoFollowFileReader,
  type NoFollowOptions,
  readWholeText,
  type ReadWholeTextOptions,
  type WholeFileReader,
  type WholeTextFile,
} from "./read-whole-text.js";
