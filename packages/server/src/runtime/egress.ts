/**
 * A bot's egress policy: which outside destinations an `isolated` bot may
 * open connections to. Entries are CIDRs (`10.1.0.0/16`, `2001:db8::/32`),
 * single addresses, or host names that botbox resolves and keeps current.
 * Deny wins over allow; `allow: []` means no outside access at all; no
 * `allow` means the internet, i.e. everything but the host, the link-local
 * and the private ranges (docs/runtimes.md, "Network").
 */
import { isIP } from "node:net";

import { BadRequestError } from "../errors.js";

export interface EgressPolicy {
  /** Destinations allowed; undefined: the internet; []: nothing outside. */
  allow?: string[];
  /** Destinations refused, even where allowed. */
  deny: string[];
}

export type EgressTarget = { kind: "cidr"; family: 4 | 6; cidr: string } | { kind: "host"; name: string };

/** Entries per list: enough for any allow-list a person writes, small enough for a rule set. */
export const MAX_EGRESS_ENTRIES = 256;

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** One entry, normalised (`1.2.3.4` → `1.2.3.4/32`, host names lower-cased); BadRequestError naming it when invalid. */
export function parseEgressEntry(entry: string): EgressTarget {
  const text = entry.trim();
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family === 4 || family === 6) {
    const max = family === 4 ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max))
      throw new BadRequestError(`egress entry ${JSON.stringify(entry)}: prefix length must be 0 to ${max}`);
    return { kind: "cidr", family, cidr: `${address.toLowerCase()}/${prefix}` };
  }
  const name = text.toLowerCase().replace(/\.$/, "");
  if (slash >= 0 || name.length === 0 || name.length > 253 || !name.split(".").every((label) => HOST_LABEL.test(label)))
    throw new BadRequestError(
      `egress entry ${JSON.stringify(entry)} is neither an IPv4/IPv6 address or CIDR nor a host name`,
    );
  if (/^[0-9.]+$/.test(name))
    throw new BadRequestError(`egress entry ${JSON.stringify(entry)} is not a valid IPv4 address`);
  return { kind: "host", name };
}

/** A checked, normalised copy of the policy; BadRequestError naming the first bad entry. */
export function normaliseEgress(policy: { allow?: string[] | null; deny?: string[] | null }): EgressPolicy {
  const list = (name: string, entries: string[]) => {
    if (entries.length > MAX_EGRESS_ENTRIES)
      throw new BadRequestError(`egress.${name} has ${entries.length} entries; at most ${MAX_EGRESS_ENTRIES}`);
    return [...new Set(entries.map((entry) => formatTarget(parseEgressEntry(entry))))];
  };
  return {
    ...(policy.allow == null ? {} : { allow: list("allow", policy.allow) }),
    deny: list("deny", policy.deny ?? []),
  };
}

export function formatTarget(target: EgressTarget): string {
  return target.kind === "cidr" ? target.cidr : target.name;
}

/** True when the policy is the default one: the internet, nothing denied. */
export function isDefaultEgress(policy: EgressPolicy | undefined): boolean {
  return !policy || (policy.allow === undefined && policy.deny.length === 0);
}
