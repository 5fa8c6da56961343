import path from "node:path";

// Go's built-in table (mime.TypeByExtension, which the original used) plus
// the common types a Debian mime.types adds.
const TYPES: Record<string, string> = {
  ".avif": "image/avif",
  ".bz2": "application/x-bzip2",
  ".css": "text/css; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".gif": "image/gif",
  ".gz": "application/gzip",
  ".htm": "text/html; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".ico": "image/vnd.microsoft.icon",
  ".jpeg": "image/jpeg",
  ".jpg": "image/jpeg",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".md": "text/markdown; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".mp3": "audio/mpeg",
  ".mp4": "video/mp4",
  ".ogg": "audio/ogg",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".tar": "application/x-tar",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".wav": "audio/wav",
  ".webm": "video/webm",
  ".webp": "image/webp",
  ".xml": "text/xml; charset=utf-8",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".zip": "application/zip",
};

export function contentTypeFor(fileName: string): string {
  return TYPES[path.posix.extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/**
 * `attachment; filename="<base>"`, plus RFC 5987's `filename*` when the name
 * is not plain ASCII or holds characters a quoted string cannot carry.
 */
export function attachmentDisposition(fileName: string): string {
  const plain = /^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName);
  if (plain) return `attachment; filename="${fileName}"`;
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/gu, "_");
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
