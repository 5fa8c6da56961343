/**
 * E2B API keys for botbox tokens. The E2B SDK sends whatever E2B_API_KEY
 * holds as `X-API-KEY`; E2B's keys read `e2b_<hex>`, and some E2B clients
 * check that shape before sending one. A botbox token (`bbx_admin_<hex>`,
 * `bbx_<base64url>`) has other characters, so it travels hex-encoded after
 * E2B's prefix: any client that accepts an E2B key accepts it, nothing of the
 * token is lost, and the server decodes it back. A raw botbox token is taken
 * too, for a client that does not check (docs/e2b.md).
 */

const E2B_KEY = /^e2b_((?:[0-9a-f]{2})+)$/;

/** The E2B API key that carries `token`: `e2b_` and the token's UTF-8 bytes in hex. */
export function e2bKeyFor(token: string): string {
  return `e2b_${Buffer.from(token, "utf8").toString("hex")}`;
}

/** The botbox token an E2B API key carries (an `e2b_<hex>` key decoded, anything else as it is). */
export function tokenFromE2bKey(key: string): string {
  const hex = E2B_KEY.exec(key.trim())?.[1];
  return hex === undefined ? key.trim() : Buffer.from(hex, "hex").toString("utf8");
}
