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

/** Every route but /health and /ready needs `Authorization: Bearer <token>`. */
export function installAuth(app: FastifyInstance, adminToken: string, verifyToken: TokenVerifier): void {
  const adminDigest = digest(adminToken);
  app.addHook("onRequest", async (request) => {
    if (PUBLIC_ROUTES.has(request.routeOptions.url ?? "")) return;
    const header = request.headers.authorization;
    const token = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
    if (token === "") throw new UnauthenticatedError("missing bearer token: send Authorization: Bearer <token>");
    // Compare digests so the comparison takes the same time for any token.
    if (timingSafeEqual(digest(token), adminDigest)) {
      request.principal = { kind: "admin" };
      return;
    }
    const principal = await verifyToken(token);
    if (!principal) throw new UnauthenticatedError("invalid or revoked token");
    request.principal = principal;
  });
}

/**
 * A bot token reaches only its own bot; for any other bot it gets the same
 * 404 as a bot that does not exist, so it learns nothing about it.
 */
export function requireBotAccess(request: FastifyRequest, botId: string): void {
  const principal = request.principal;
  if (principal?.kind === "admin") return;
  if (principal?.kind === "bot" && principal.botId === botId) return;
  throw new NotFoundError(`bot ${botId} not found`);
}

export function requireAdmin(request: FastifyRequest): void {
  if (request.principal?.kind !== "admin") throw new ForbiddenError("this route needs the admin token");
}
