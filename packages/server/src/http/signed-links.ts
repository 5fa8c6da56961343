/**
 * Short-lived signed links: what a browser presents where it cannot send
 * `Authorization` (a port's preview URL it opens, a terminal's WebSocket).
 * The bearer token never goes into a URL, where it would land in logs,
 * history and Referer headers; a link grants one scope of one bot until it
 * expires, and nothing else.
 *
 * Form: `v1.<payload>.<mac>`, both base64url; the payload is JSON
 * `{ bot, scope, exp }` (exp in Unix seconds), the MAC an HMAC-SHA256 of
 * `v1.<payload>` under a key derived from the admin token. Deriving it
 * (rather than keeping a key file) means servers that share an admin token
 * accept each other's links, and changing the admin token revokes every
 * link at once.
 */
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

import { ForbiddenError, UnauthenticatedError } from "../errors.js";

const VERSION = "v1";
/** The longest life a link may be given: a day. */
export const MAX_LINK_TTL_SECONDS = 86_400;

export interface LinkGrant {
  /** The bot the link reaches. */
  readonly bot: string;
  /** What it reaches in that bot: `port:3000`, `terminal`, … */
  readonly scope: string;
  /** When it stops working, Unix seconds. */
  readonly exp: number;
}

export class LinkSigner {
  readonly #key: Buffer;
  readonly #now: () => number;

  /** `now` in milliseconds, for tests of expiry. */
  constructor(adminToken: string, now: () => number = Date.now) {
    this.#key = Buffer.from(hkdfSync("sha256", adminToken, "botbox", "signed links v1", 32));
    this.#now = now;
  }

  sign(bot: string, scope: string, ttlSeconds: number): { link: string; grant: LinkGrant } {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_LINK_TTL_SECONDS)
      throw new RangeError(`a link's ttl must be 1 to ${MAX_LINK_TTL_SECONDS} seconds, not ${ttlSeconds}`);
    const grant: LinkGrant = { bot, scope, exp: Math.floor(this.#now() / 1000) + ttlSeconds };
    const payload = Buffer.from(JSON.stringify(grant)).toString("base64url");
    return { link: `${VERSION}.${payload}.${this.#mac(payload)}`, grant };
  }

  /**
   * The grant of `link` when it is genuine, unexpired and for `bot` and
   * `scope`; else a 401 (malformed, forged, expired) or 403 (a genuine link
   * to something else), naming which.
   */
  verify(link: string, bot: string, scope: string): LinkGrant {
    const grant = this.open(link);
    if (grant.bot !== bot || grant.scope !== scope)
      throw new ForbiddenError(`the signed link is for ${grant.scope} of bot ${grant.bot}, not this`);
    return grant;
  }

  /**
   * The grant of `link` when it is genuine and unexpired, whatever it is
   * for; else a 401 naming why. For a caller that learns the bot from the
   * link (a port's own origin names a label, not the bot's id) and checks
   * the grant itself.
   */
  open(link: string): LinkGrant {
    const [version, payload, mac, ...rest] = link.split(".");
    if (version !== VERSION || !payload || !mac || rest.length > 0)
      throw new UnauthenticatedError("the signed link is malformed");
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new UnauthenticatedError("the signed link's signature is not valid");
    const grant = parseGrant(payload);
    if (grant.exp * 1000 <= this.#now()) throw new UnauthenticatedError("the signed link has expired");
    return grant;
  }

  #mac(payload: string): string {
    return createHmac("sha256", this.#key).update(`${VERSION}.${payload}`).digest("base64url");
  }
}

function parseGrant(payload: string): LinkGrant {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw new UnauthenticatedError("the signed link is malformed");
  }
  const grant = value as Partial<LinkGrant> | null;
  if (typeof grant?.bot !== "string" || typeof grant.scope !== "string" || !Number.isInteger(grant.exp))
    throw new UnauthenticatedError("the signed link is malformed");
  return { bot: grant.bot, scope: grant.scope, exp: grant.exp! };
}
