import type { IncomingHttpHeaders } from "node:http";

import { z } from "zod";

import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../../errors.js";
import { cookieValues, LINK_COOKIE, portOriginLabel, type PortOriginTarget } from "../../ports/index.js";
import { type Principal, requirePrincipalFor } from "../auth.js";
import type { LinkGrant, LinkSigner } from "../signed-links.js";

/** The query parameter a signed port URL carries once; the redirect takes it out. */
export const LINK_PARAM = "botbox_link";

export const portSchema = z.coerce.number().int().min(1).max(65_535);

/** A signed link's scope for one port of a bot. */
export const portScope = (port: number) => `port:${port}`;

/** How a request to a bot's port was let in. */
export type PortAccess =
  | { kind: "token" }
  | { kind: "cookie"; grant: LinkGrant }
  /** A link in the URL: answered with the cookie and a redirect that drops it. */
  | { kind: "link-in-url"; link: string; grant: LinkGrant };

export interface PortRequest {
  /** Set when the request carried a bearer token (checked already). */
  principal: Principal | undefined;
  headers: IncomingHttpHeaders;
  /** The `botbox_link` query parameter, if any. */
  linkInUrl: string | undefined;
}

/**
 * Who may reach `port` of `botId`: a link in the URL (it must verify, even
 * beside a token), a bearer token that may act for the bot (404 for another
 * bot, as everywhere), or the link cookie. A forged or expired link is 401,
 * a genuine one for another bot or port 403; nothing reaches the bot then.
 */
export function checkPortAccess(links: LinkSigner, request: PortRequest, botId: string, port: number): PortAccess {
  const scope = portScope(port);
  if (request.linkInUrl !== undefined) {
    return { kind: "link-in-url", link: request.linkInUrl, grant: links.verify(request.linkInUrl, botId, scope) };
  }
  if (request.principal) {
    requirePrincipalFor(request.principal, botId);
    return { kind: "token" };
  }
  const cookies = cookieValues(request.headers.cookie, LINK_COOKIE);
  if (cookies.length === 0)
    throw new UnauthenticatedError(
      `this port needs a bearer token or a signed link (\`botbox port ${botId} ${port}\` prints one)`,
    );
  let firstError: unknown;
  // A browser sends every cookie whose path matches; one of them may be for this port.
  for (const cookie of cookies) {
    try {
      return { kind: "cookie", grant: links.verify(cookie, botId, scope) };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

/**
 * The cookie that keeps a link for later requests under the prefix only; on
 * a port's own origin (`prefix` empty) it is `Path=/` and host-only (no
 * `Domain`), so it goes to that one origin and nowhere else.
 */
export function linkCookie(
  link: string,
  grant: LinkGrant,
  prefix: string,
  secure: boolean,
  nowMs = Date.now(),
): string {
  const maxAge = Math.max(0, grant.exp - Math.floor(nowMs / 1000));
  return [
    `${LINK_COOKIE}=${link}`,
    `Path=${prefix}/`,
    `Max-Age=${maxAge}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** The request's path and query with the link parameter taken out. */
export function withoutLinkParam(url: string): string {
  const [path, query] = splitQuery(url);
  if (query === undefined) return path;
  // Only the link's pairs go; the rest stays byte for byte (re-encoding the
  // query would hand the app `flag=` for `flag`, `%7E` for `~`).
  const kept = query.split("&").filter((pair) => new URLSearchParams(pair).keys().next().value !== LINK_PARAM);
  return kept.length > 0 ? `${path}?${kept.join("&")}` : path;
}

/** The link parameter of a URL, if it has one. */
export function linkParamOf(url: string): string | undefined {
  return new URLSearchParams(splitQuery(url)[1] ?? "").get(LINK_PARAM) ?? undefined;
}

function splitQuery(url: string): [string, string | undefined] {
  const mark = url.indexOf("?");
  return mark === -1 ? [url, undefined] : [url.slice(0, mark), url.slice(mark + 1)];
}

/** `/bots/<id>/ports/<port>/<rest>` → `/<rest>` with the query (without the link parameter). */
export function appPathOf(url: string): string {
  const stripped = withoutLinkParam(url);
  const match = /^\/bots\/[^/?]+\/ports\/[^/?]+/.exec(stripped);
  const rest = match ? stripped.slice(match[0].length) : stripped;
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** The bot a port origin's request reaches, and how it was let in. */
export interface PortOriginAccess {
  botId: string;
  access: PortAccess;
}

/**
 * Who may reach `target` (a port origin, which names the bot only by its
 * label): the same credentials as the path form, each telling the bot. A
 * link or cookie names its bot, which must have this label, and this port
 * (else 403); a bot's token reaches its own bot's origins only (404 for
 * others); only the admin token needs `botForLabel`, so no request without
 * credentials makes botbox look anything up.
 */
export async function checkPortOriginAccess(
  links: LinkSigner,
  request: PortRequest,
  target: PortOriginTarget,
  botForLabel: (label: string) => Promise<string | undefined>,
): Promise<PortOriginAccess> {
  const notFound = () => new NotFoundError(`no bot has port origin ${target.port}-${target.label}`);
  if (request.linkInUrl !== undefined) {
    const grant = grantForOrigin(links, request.linkInUrl, target);
    return { botId: grant.bot, access: { kind: "link-in-url", link: request.linkInUrl, grant } };
  }
  if (request.principal?.kind === "admin") {
    const botId = await botForLabel(target.label);
    if (botId === undefined) throw notFound();
    return { botId, access: { kind: "token" } };
  }
  if (request.principal?.kind === "bot") {
    if (portOriginLabel(request.principal.botId) !== target.label) throw notFound();
    return { botId: request.principal.botId, access: { kind: "token" } };
  }
  const cookies = cookieValues(request.headers.cookie, LINK_COOKIE);
  if (cookies.length === 0)
    throw new UnauthenticatedError("this port needs a bearer token or a signed link (`botbox port <bot> <port>`)");
  let firstError: unknown;
  for (const cookie of cookies) {
    try {
      const grant = grantForOrigin(links, cookie, target);
      return { botId: grant.bot, access: { kind: "cookie", grant } };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

function grantForOrigin(links: LinkSigner, link: string, target: PortOriginTarget): LinkGrant {
  const grant = links.open(link);
  if (grant.scope !== portScope(target.port) || portOriginLabel(grant.bot) !== target.label)
    throw new ForbiddenError(`the signed link is for ${grant.scope} of bot ${grant.bot}, not this origin`);
  return grant;
}
