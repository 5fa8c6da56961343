/**
 * Terminal tickets: how a browser, which cannot set `Authorization` on a
 * WebSocket, opens `GET /bots/:bot_id/terminal`. An authenticated call
 * (`POST .../terminal/tickets`) gets a ticket; the WebSocket URL carries it
 * as `?ticket=`. A ticket is a signed link (http/signed-links.ts) under a key
 * of its own (HKDF of the admin token with the purpose "terminal tickets"),
 * so a port's preview link can never pass for one; it lives 60 seconds,
 * reaches one bot, and either a new session or the one session it names,
 * and works once: a ticket copied out of a log or a proxy is already spent.
 */
import { hkdfSync, randomBytes } from "node:crypto";

import { ForbiddenError, UnauthenticatedError } from "../errors.js";
import { LinkSigner } from "../http/signed-links.js";

export const TICKET_TTL_SECONDS = 60;

/** What a ticket opens: a new session, or the running one with this process id. */
export type TicketTarget = { kind: "new" } | { kind: "session"; id: string };

const SCOPE_PREFIX = "terminal";

export class TerminalTickets {
  readonly #signer: LinkSigner;
  readonly #now: () => number;
  /** Spent tickets' nonces and when they would have expired (ms): kept until then, then forgotten. */
  readonly #spent = new Map<string, number>();

  /** `now` in milliseconds, for tests of expiry. */
  constructor(adminToken: string, now: () => number = Date.now) {
    const key = Buffer.from(hkdfSync("sha256", adminToken, "botbox", "terminal tickets v1", 32)).toString("hex");
    this.#signer = new LinkSigner(key, now);
    this.#now = now;
  }

  issue(botId: string, target: TicketTarget): { ticket: string; expiresAt: Date } {
    // The nonce makes every ticket distinct, so spending one spends only it.
    const nonce = randomBytes(12).toString("base64url");
    const { link, grant } = this.#signer.sign(botId, scopeOf(target, nonce), TICKET_TTL_SECONDS);
    return { ticket: link, expiresAt: new Date(grant.exp * 1000) };
  }

  /**
   * Spends `ticket` for `target` of `botId`: a 401 when it is malformed,
   * forged, expired or spent already; a 403 when it is genuine but for
   * another bot or another session. A refused ticket is not spent.
   */
  redeem(ticket: string, botId: string, target: TicketTarget): void {
    const grant = this.#signer.open(ticket);
    const [prefix, targetText, nonce, ...rest] = grant.scope.split(" ");
    if (prefix !== SCOPE_PREFIX || !targetText || !nonce || rest.length > 0)
      throw new UnauthenticatedError("the ticket is not a terminal ticket");
    if (grant.bot !== botId) throw new ForbiddenError(`the ticket is for bot ${grant.bot}, not ${botId}`);
    const wanted = targetTextOf(target);
    if (targetText !== wanted)
      throw new ForbiddenError(
        `the ticket opens ${describe(targetText)}, not ${describe(wanted)}: ask for a ticket for that`,
      );
    this.#forgetExpired();
    if (this.#spent.has(nonce)) throw new UnauthenticatedError("the ticket was used already: tickets work once");
    this.#spent.set(nonce, grant.exp * 1000);
  }

  #forgetExpired(): void {
    const now = this.#now();
    for (const [nonce, expiresAt] of this.#spent) if (expiresAt <= now) this.#spent.delete(nonce);
  }
}

function targetTextOf(target: TicketTarget): string {
  return target.kind === "new" ? "new" : `session:${target.id}`;
}

function scopeOf(target: TicketTarget, nonce: string): string {
  return `${SCOPE_PREFIX} ${targetTextOf(target)} ${nonce}`;
}

function describe(targetText: string): string {
  return targetText === "new" ? "a new session" : `session ${targetText.slice("session:".length)}`;
}
