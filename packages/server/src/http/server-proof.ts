import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The route a client asks before it sends a token; public, like /health. */
export const SERVER_PROOF_ROUTE = "/identity";
/** A fresh random challenge per ask: 16 to 64 bytes, hex. */
export const CHALLENGE_PATTERN = /^[0-9a-f]{32,128}$/;

// A key of its own, so that a proof is never a value the token is compared with elsewhere.
const proofKey = (adminToken: string) =>
  createHash("sha256").update(`botbox server proof\0${adminToken}`, "utf8").digest();

/**
 * The answer to a challenge that only a holder of the admin token can give.
 * A process squatting the API's port (a bot with the host's network while
 * the server restarts) cannot give it, so a client that checks it first
 * never hands that process its token.
 */
export function serverProof(adminToken: string, challenge: string): string {
  return createHmac("sha256", proofKey(adminToken)).update(`botbox-identity-v1\0${challenge}`, "utf8").digest("hex");
}

export function proofMatches(adminToken: string, challenge: string, proof: unknown): boolean {
  if (typeof proof !== "string" || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(serverProof(adminToken, challenge), "hex"), Buffer.from(proof, "hex"));
}
