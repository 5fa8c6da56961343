/**
 * Turns an egress policy into addresses: CIDRs as they are, host names
 * looked up by the host's resolver now. The sandbox runtime looks them up
 * again while the bot runs (see IsolatedNetwork.refresh), as E2B and Daytona
 * keep their domain allow-lists current.
 */
import { lookup } from "node:dns/promises";

import { type EgressPolicy, parseEgressEntry } from "../../egress.js";
import type { ResolvedEgress } from "./egress-ruleset.js";

export type Lookup = (name: string) => Promise<string[]>;

const LOOKUP_TIMEOUT_MS = 5_000;

/** Every address the host's resolver gives for a name; none when it does not resolve in time. */
export const lookupAll: Lookup = async (name) => {
  const timeout = new Promise<[]>((resolve) => setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS).unref());
  const found = lookup(name, { all: true }).then(
    (addresses) => addresses.map((entry) => entry.address),
    () => [],
  );
  return Promise.race([found, timeout]);
};

export async function resolveEgress(
  policy: EgressPolicy | undefined,
  resolve: Lookup = lookupAll,
): Promise<ResolvedEgress> {
  const addresses = async (entries: string[]) => {
    const out = { ipv4: [] as string[], ipv6: [] as string[] };
    await Promise.all(
      entries.map(async (entry) => {
        const target = parseEgressEntry(entry);
        if (target.kind === "cidr") (target.family === 4 ? out.ipv4 : out.ipv6).push(target.cidr);
        else
          for (const address of await resolve(target.name))
            if (address.includes(":")) out.ipv6.push(`${address}/128`);
            else out.ipv4.push(`${address}/32`);
      }),
    );
    return { ipv4: [...new Set(out.ipv4)].sort(), ipv6: [...new Set(out.ipv6)].sort() };
  };
  return {
    ...(policy?.allow === undefined ? {} : { allow: await addresses(policy.allow) }),
    deny: await addresses(policy?.deny ?? []),
    dns: policy?.allow === undefined || policy.allow.length > 0,
  };
}

/** True when the policy names a host whose addresses can change. */
export function hasHostNames(policy: EgressPolicy | undefined): boolean {
  return [...(policy?.allow ?? []), ...(policy?.deny ?? [])].some((entry) => parseEgressEntry(entry).kind === "host");
}
