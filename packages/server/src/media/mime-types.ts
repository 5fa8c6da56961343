import path from "node:path";

/** Common media types and the extension a stored file gets for each (the original's mime map). */
const EXTENSION_BY_MIME: Record<string, string> = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/jpg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "image/svg+xml": ".svg",
  "image/bmp": ".bmp",
  "image/tiff": ".tiff",
  "image/x-icon": ".ico",
  "image/vnd.microsoft.icon": ".ico",
  "image/heic": ".heic",
  "image/heif": ".heif",
  "image/avif": ".avif",
  "audio/mpeg": ".mp3",
  "audio/mp3": ".mp3",
  "audio/ogg": ".ogg",
  "audio/opus": ".opus",
  "audio/wav": ".wav",
  "audio/x-wav": ".wav",
  "audio/wave": ".wav",
  "audio/webm": ".weba",
  "audio/aac": ".aac",
  "audio/flac": ".flac",
  "audio/mp4": ".m4a",
  "audio/x-m4a": ".m4a",
  "video/mp4": ".mp4",
  "video/webm": ".webm",
  "video/ogg": ".ogv",
  "video/quicktime": ".mov",
  "video/x-msvideo": ".avi",
  "video/x-matroska": ".mkv",
  "application/pdf": ".pdf",
  "application/json": ".json",
  "application/xml": ".xml",
  "application/zip": ".zip",
  "application/gzip": ".gz",
  "application/x-gzip": ".gz",
  "application/x-tar": ".tar",
  "application/x-7z-compressed": ".7z",
  "application/msword": ".doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
  "application/vnd.ms-excel": ".xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
  "application/vnd.ms-powerpoint": ".ppt",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
  "application/rtf": ".rtf",
  "application/epub+zip": ".epub",
  "text/javascript": ".js",
  "application/javascript": ".js",
  "text/plain": ".txt",
  "text/markdown": ".md",
  "text/html": ".html",
  "text/css": ".css",
  "text/csv": ".csv",
  "text/xml": ".xml",
  "application/yaml": ".yaml",
  "text/yaml": ".yaml",
  "application/octet-stream": ".bin",
};

/** The other way round: the first mime of each extension, plus spellings the table does not produce. */
const MIME_BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(EXTENSION_BY_MIME)
      .reverse()
      .map(([mime, extension]) => [extension, mime]),
  ),
  ".jpeg": "image/jpeg",
  ".tif": "image/tiff",
  ".htm": "text/html",
  ".mjs": "text/javascript",
  ".yml": "application/yaml",
  ".markdown": "text/markdown",
  ".oga": "audio/ogg",
  ".mpeg": "video/mpeg",
  ".mpg": "video/mpeg",
};

export const DEFAULT_MIME = "application/octet-stream";
const BINARY_EXTENSION = ".bin";
/** An extension kept from a file name: a dot and a few plain characters, nothing a path could abuse. */
const SAFE_EXTENSION = /^\.[a-z0-9]{1,16}$/;

/** `Image/PNG; charset=x` → `image/png`; empty or malformed gives application/octet-stream. */
export function normalizeMime(mime: string | undefined): string {
  const bare = (mime ?? "").split(";")[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(bare) ? bare : DEFAULT_MIME;
}

/**
 * The extension of a stored file: from the mime when it is known, else the
 * original file's own (lower-cased, when it is a plain one), else `.bin`.
 */
export function extensionFor(mime: string, fileName?: string): string {
  const mapped = EXTENSION_BY_MIME[normalizeMime(mime)] ?? BINARY_EXTENSION;
  if (mapped !== BINARY_EXTENSION) return mapped;
  const original = path.posix.extname(fileName ?? "").toLowerCase();
  return SAFE_EXTENSION.test(original) ? original : BINARY_EXTENSION;
}

/** The mime of a file by its extension; application/octet-stream when unknown. */
export function mimeForPath(filePath: string): string {
  return MIME_BY_EXTENSION[path.posix.extname(filePath).toLowerCase()] ?? DEFAULT_MIME;
}
