import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** The cookie a signed link leaves in the browser (docs/ports.md); never passed on to the bot's server. */
export const LINK_COOKIE = "botbox_link";

// Headers of one hop (RFC 9110 §7.6.1): the proxy's connection to each side is its own.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** The path under which the bot's port is served: `/bots/<id>/ports/<port>`. */
export const portPrefix = (botId: string, port: number) => `/bots/${encodeURIComponent(botId)}/ports/${port}`;

/** Who asked, as the `X-Forwarded-*` headers tell the bot's server. */
export interface ClientSide {
  /** The client's address. */
  address: string | undefined;
  /** `http` or `https`, as the client reached botbox. */
  protocol: string;
  /** The Host the client used. */
  host: string | undefined;
}

function dropHopByHop(headers: IncomingHttpHeaders, keepUpgrade: boolean): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const kept: Record<string, string | string[] | number> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (keepUpgrade && (name === "connection" || name === "upgrade")) kept[name] = value;
    else if (!HOP_BY_HOP.has(name) && !listed.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * What the bot's server gets: the client's headers minus this hop's, minus
 * botbox's credentials (the bearer token and the link cookie are botbox's,
 * not the app's), with Host the app's own and `X-Forwarded-*` saying where
 * the client really was, `X-Forwarded-Prefix` the path it is mounted under.
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  port: number,
  prefix: string,
  client: ClientSide,
  keepUpgrade = false,
): OutgoingHttpHeaders {
  const forwarded = dropHopByHop(headers, keepUpgrade);
  delete forwarded.authorization;
  const cookies = withoutLinkCookie(headers.cookie);
  if (cookies) forwarded.cookie = cookies;
  else delete forwarded.cookie;
  // Dev servers refuse a Host they do not know (DNS-rebinding guards); localhost they all know.
  forwarded.host = `localhost:${port}`;
  const chain = [headers["x-forwarded-for"], client.address].filter(Boolean).join(", ");
  if (chain) forwarded["x-forwarded-for"] = chain;
  forwarded["x-forwarded-proto"] = client.protocol;
  if (client.host) forwarded["x-forwarded-host"] = client.host;
  // On the port's own origin the app is mounted at the root: no prefix to tell.
  if (prefix) forwarded["x-forwarded-prefix"] = prefix;
  else delete forwarded["x-forwarded-prefix"];
  if (!keepUpgrade) forwarded.connection = "close";
  return forwarded;
}

function withoutLinkCookie(header: string | undefined): string {
  return (header ?? "")
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && pair.split("=")[0]!.trim() !== LINK_COOKIE)
    .join("; ");
}

/** The values of cookie `name` in a Cookie header (a browser may send several, of several paths). */
export function cookieValues(header: string | undefined, name: string): string[] {
  return (header ?? "")
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair.split("=")[0]!.trim() === name)
    .map((pair) => pair.slice(pair.indexOf("=") + 1).trim());
}

/**
 * What every answer served under the path form carries (docs/ports.md): the
 * page runs in an opaque origin, so the bot's scripts cannot read botbox's
 * origin (its API, other bots' pages there) with the browser's credentials.
 * No `allow-same-origin`, which would undo exactly that.
 */
export const PATH_FORM_CSP = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/**
 * What the client gets of the bot's answer: this hop's headers dropped and
 * never a cookie that would replace the link cookie. Under the path form
 * (`prefix` set) a redirect and the app's cookies are kept under the prefix,
 * and the sandbox CSP is added beside the app's own; on the port's own
 * origin (`prefix` empty) the app's cookies lose any `Domain`, so one bot's
 * app cannot set cookies on its neighbours' origins or botbox's.
 */
export function downstreamResponseHeaders(
  headers: IncomingHttpHeaders,
  port: number,
  prefix: string,
  clientHost: string | undefined,
): OutgoingHttpHeaders {
  const kept = dropHopByHop(headers, false);
  if (typeof headers.location === "string") kept.location = rewriteLocation(headers.location, port, prefix, clientHost);
  if (headers["set-cookie"]) {
    const cookies = headers["set-cookie"]
      .filter((cookie) => cookie.split("=")[0]!.trim() !== LINK_COOKIE)
      .map((cookie) => (prefix ? scopeCookiePath(cookie, prefix) : withoutCookieDomain(cookie)));
    if (cookies.length > 0) kept["set-cookie"] = cookies;
    else delete kept["set-cookie"];
  }
  // A browser enforces every policy of the list (`, ` separates policies), so the app's own stays in force.
  if (prefix)
    kept["content-security-policy"] = [headers["content-security-policy"] ?? [], PATH_FORM_CSP].flat().join(", ");
  return kept;
}

/**
 * A redirect the app sends names its own paths (`/login`) or its own origin
 * (`http://localhost:3000/login`); the client must stay under the prefix.
 * A link elsewhere (another site) is left alone.
 */
function rewriteLocation(location: string, port: number, prefix: string, clientHost: string | undefined): string {
  if (location.startsWith("/") && !location.startsWith("//")) return underPrefix(location, prefix);
  let url: URL;
  try {
    url = new URL(location, "http://relative.invalid/");
  } catch {
    return location;
  }
  if (url.hostname === "relative.invalid") return location;
  const own = new Set([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, clientHost?.toLowerCase()]);
  if (!own.has(url.host.toLowerCase())) return location;
  return underPrefix(`${url.pathname}${url.search}${url.hash}`, prefix);
}

function underPrefix(path: string, prefix: string): string {
  return path === prefix || path.startsWith(`${prefix}/`) ? path : `${prefix}${path}`;
}

function scopeCookiePath(cookie: string, prefix: string): string {
  return cookie.replace(/;\s*path=([^;]*)/i, (_match, path: string) => `; Path=${underPrefix(path.trim(), prefix)}`);
}

function withoutCookieDomain(cookie: string): string {
  return cookie.replace(/;\s*domain=[^;]*/gi, "");
}
