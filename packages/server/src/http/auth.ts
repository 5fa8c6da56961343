import { createHash, timingSafeEqual } from "node:crypto";

import type { FastifyInstance, FastifyRequest } from "fastify";

import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../errors.js";
import { SERVER_PROOF_ROUTE } from "./server-proof.js";

/** Who a request acts for: the admin, or one bot. */
export type Principal = { kind: "admin" } | { kind: "bot"; botId: string; tokenId: string };

/** Looks up a bearer token that is not the admin token (bot-scoped API tokens). */
export type TokenVerifier = (token: string) => Promise<Principal | undefined>;

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

// Probes (load balancers, Kubernetes) call these without credentials; they tell nothing about bots.
// /identity answers a challenge before the client sends any token (server-proof.ts).
const PUBLIC_ROUTES = new Set(["/health", "/ready", SERVER_PROOF_ROUTE]);

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Who a bearer `Authorization` header acts for: the admin, a bot's token, or
 * an UnauthenticatedError. For requests outside Fastify's routing too (a
 * WebSocket upgrade).
 */
export function bearerAuthenticator(
  adminToken: string,
  verifyToken: TokenVerifier,
): (header: string | undefined) => Promise<Principal> {
  const adminDigest = digest(adminToken);
  return async (header) => {
    const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
    if (token === "") throw new UnauthenticatedError("missing bearer token: send Authorization: Bearer <token>");
    // Compare digests so the comparison takes the same time for any token.
    if (timingSafeEqual(digest(token), adminDigest)) return { kind: "admin" };
    const principal = await verifyToken(token);
    if (!principal) throw new UnauthenticatedError("invalid or revoked token");
    return principal;
  };
}

/**
 * Every route but /health and /ready needs `Authorization: Bearer <token>`,
 * except that a request to one of `linkRoutes` without that header goes on
 * with no principal: those routes take a signed link instead (a browser
 * opening a port's URL) and check it themselves.
 */
export function installAuth(
  app: FastifyInstance,
  adminToken: string,
  verifyToken: TokenVerifier,
  linkRoutes: ReadonlySet<string> = new Set(),
  /** Routes that take a credential of their own besides the usual ones, and check every request themselves. */
  selfAuthenticated: ReadonlySet<string> = new Set(),
): void {
  const authenticate = bearerAuthenticator(adminToken, verifyToken);
  app.addHook("onRequest", async (request) => {
    const route = request.routeOptions.url ?? "";
    if (PUBLIC_ROUTES.has(route) || selfAuthenticated.has(route)) return;
    if (request.headers.authorization === undefined && linkRoutes.has(route)) return;
    request.principal = await authenticate(request.headers.authorization);
  });
}

/**
 * A bot token reaches only its own bot; for any other bot it gets the same
 * 404 as a bot that does not exist, so it learns nothing about it.
 */
export function requireBotAccess(request: FastifyRequest, botId: string): void {
  requirePrincipalFor(request.principal, botId);
}

/** requireBotAccess for a principal found outside a routed request (a WebSocket upgrade). */
export function requirePrincipalFor(principal: Principal | undefined, botId: string): void {
  if (principal?.kind === "admin") return;
  if (principal?.kind === "bot" && principal.botId === botId) return;
  throw new NotFoundError(`bot ${botId} not found`);
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.principal?.kind !== "admin") throw new ForbiddenError("this route needs the admin token");
}
