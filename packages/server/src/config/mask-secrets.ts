const MASK = "********";

/** Names of keys whose whole value is a secret. */
const SECRET_KEY = /(^|_)(token|password|secret|api_key|key)$/i;

/** A URL's password, as in `postgres://user:password@host/db`, masked; other strings as they are. */
function maskUrlPassword(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@/\s]*)@/i.exec(text);
  return match ? `${match[1]}:${MASK}@${text.slice(match[0].length)}` : text;
}

/**
 * A copy of a setting's value fit to print: secret keys (tokens, passwords)
 * masked whole, passwords inside URLs masked, and every value of an `env`
 * table masked (an MCP server's environment carries API keys under any name).
 * Unset values stay unset, so the output still says whether a secret is set.
 */
export function maskSecrets(key: string, value: unknown): unknown {
  if (value === undefined || value === null || value === "") return value;
  if (key === "env" && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).map((name) => [name, MASK]));
  }
  if (SECRET_KEY.test(key)) return MASK;
  if (typeof value === "string") return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(key, item));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, maskSecrets(name, inner)]));
  }
  return value;
}
