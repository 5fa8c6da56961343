/**
 * Each bot port's own browser origin: `<port>-<label>.<domain>` (docs/ports.md).
 * A page a bot serves is code the bot wrote; on an origin of its own the
 * browser keeps it away from botbox's API and from every other bot's pages,
 * as E2B's `<port>-<sandbox>.e2b.app` and Codespaces' previews do.
 */
import { createHash } from "node:crypto";

/** The port origin a request's Host names. */
export interface PortOriginTarget {
  /** The bot's label in the host name (portOriginLabel of its id). */
  readonly label: string;
  readonly port: number;
}

// A DNS label holds at most 63 bytes; `65535-` takes 6 of them.
const MAX_LABEL = 63 - "65535-".length;
const HASH_CHARS = 16;
/** An id that is already a lowercase DNS label, with no `--` (the mark of an encoded one). */
const PLAIN_LABEL = new RegExp(`^(?=.{1,${MAX_LABEL}}$)[a-z0-9]+(-[a-z0-9]+)*$`);
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** `<port>-<label>`: a port without leading zeros, then the label. */
const ORIGIN_LABEL = /^([1-9]\d{0,4})-([a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9])$/;

/**
 * The bot's label in its ports' host names. Bot ids may hold uppercase
 * letters and `_` and run to 64 characters, which a DNS label cannot (and
 * host names are case-blind, so `Web` and `web` would meet). An id that is a
 * lowercase label already is its own label; any other is
 * `<readable part>--<16 base32 digits of its SHA-256>`, stable across
 * restarts and servers. Plain labels never hold `--`, so the two kinds never
 * meet; 80 bits of hash keep encoded ones apart. It is not reversible (64
 * characters of id do not fit 57 of label): the server finds the bot by the
 * credential the request carries, or by comparing labels of the known bots.
 */
export function portOriginLabel(botId: string): string {
  if (PLAIN_LABEL.test(botId)) return botId;
  const readable = botId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_LABEL - 2 - HASH_CHARS)
    .replace(/-+$/, "");
  return `${readable || "bot"}--${base32(createHash("sha256").update(botId).digest()).slice(0, HASH_CHARS)}`;
}

/** The host name of a bot's port origin, without the API's port: `3000-web.localhost`. */
export const portOriginHostname = (botId: string, port: number, domain: string) =>
  `${port}-${portOriginLabel(botId)}.${domain}`;

/**
 * The port origin a Host header names under `domain`, or undefined for any
 * other host (botbox's own API). Only `<port>-<label>.<domain>` with an
 * optional `:<port>` qualifies; names are compared case-blind, a final dot
 * dropped.
 */
export function parsePortOriginHost(host: string | undefined, domain: string): PortOriginTarget | undefined {
  if (!host) return undefined;
  const hostname = host.toLowerCase().replace(/:\d*$/, "").replace(/\.$/, "");
  const suffix = `.${domain}`;
  if (!hostname.endsWith(suffix)) return undefined;
  const match = ORIGIN_LABEL.exec(hostname.slice(0, -suffix.length));
  if (!match) return undefined;
  const port = Number(match[1]);
  if (port > 65_535 || match[2]!.length > MAX_LABEL) return undefined;
  return { label: match[2]!, port };
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let text = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return text;
}
