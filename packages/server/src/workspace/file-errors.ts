import type { FileEntry } from "../client/index.js";
import { BotboxError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors.js";

/** `message`, then what to do instead when the caller knows. */
const withHint = (message: string, hint: string | undefined) => (hint ? `${message}: ${hint}` : message);

/** A whole-file read of a file larger than the reader's cap (413 payload_too_large). */
export class FileTooLargeError extends PayloadTooLargeError {
  constructor(
    readonly path: string,
    readonly limitBytes: number,
    /** The size the stat gave; undefined when the file grew past the cap while it was read. */
    readonly sizeBytes?: number,
    hint?: string,
  ) {
    super(
      withHint(
        sizeBytes === undefined
          ? `${path} is larger than ${limitBytes} bytes`
          : `${path} is ${sizeBytes} bytes, larger than ${limitBytes} bytes`,
        hint,
      ),
    );
  }
}

/**
 * A whole-file read of something that is not a plain file: a folder
 * (is_a_directory, 400) or a device, pipe or socket (bad_request, 400), which
 * would never end or would block the read.
 */
export class NotRegularFileError extends BotboxError {
  constructor(
    readonly path: string,
    readonly entry: Pick<FileEntry, "kind" | "mode">,
    hint?: string,
  ) {
    super(
      entry.kind === "dir" ? "is_a_directory" : "bad_request",
      withHint(
        entry.kind === "dir" ? `${path} is a directory` : `${path} is not a regular file (mode ${entry.mode})`,
        hint,
      ),
    );
  }
}

/** Why a file's bytes are not text: NUL bytes where the reader looks for them, or invalid UTF-8. */
export type NotTextReason = "binary" | "not_utf8";

/** A whole-text read of bytes that are not UTF-8 text (415 unsupported_media_type). */
export class NotTextFileError extends UnsupportedMediaTypeError {
  constructor(
    readonly path: string,
    readonly reason: NotTextReason,
    hint?: string,
  ) {
    super(
      withHint(
        reason === "binary" ? `${path} holds NUL bytes, so it is binary` : `${path} is not valid UTF-8 text`,
        hint,
      ),
    );
  }
}

/** The same failure, its message ending with what to do instead; other errors pass through. */
export function hintFileError(error: unknown, hint: string): unknown {
  if (error instanceof FileTooLargeError)
    return new FileTooLargeError(error.path, error.limitBytes, error.sizeBytes, hint);
  if (error instanceof NotRegularFileError) return new NotRegularFileError(error.path, error.entry, hint);
  if (error instanceof NotTextFileError) return new NotTextFileError(error.path, error.reason, hint);
  return error;
}
