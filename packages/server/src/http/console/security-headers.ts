/**
 * The Content-Security-Policy of every console page. Scripts come only from
 * the server's own bundled files (no inline script, no eval, no CDN); the
 * page talks only to its own origin (the API, and its WebSockets, which
 * 'self' covers); nobody may frame it (clickjacking a signed-in console).
 *
 * style-src allows 'unsafe-inline': CodeMirror 6 and xterm.js build their
 * themes at run time as <style> elements and style attributes, and neither
 * takes a nonce for all of them. Inline CSS cannot run code; what it could
 * leak by selectors needs an injection the console never does (it renders
 * API data as text, never as HTML).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every console response, pages and assets alike. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/** Hashed file names never change content: a year, and no revalidation. */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
/** index.html names the current hashed files: always asked again. */
export const PAGE_CACHE = "no-cache";
