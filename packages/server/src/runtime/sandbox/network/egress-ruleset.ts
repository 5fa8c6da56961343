/**
 * The nftables rule set inside an isolated bot's network namespace. The
 * namespace is made by the host (owned by the host's user namespace), so root
 * in the bot's own user namespace holds no capability over it: it cannot
 * change these rules, open raw or packet sockets there, or reconfigure the
 * interface (docs/runtimes.md, "Network").
 *
 * Order: loopback; the resolver slirp4netns serves at 10.0.2.3 (unless
 * nothing outside is allowed); denied destinations; allowed ones; then,
 * with an allow-list everything else, without one the blocked ranges.
 * Destinations sit in named sets, so host names re-resolved later replace
 * set elements without touching the chain.
 */
import type { BlockedDestinations } from "./blocked-ranges.js";

export const TABLE = "botbox";
/** slirp4netns's built-in DNS forwarder, inside its 10.0.2.0/24. */
export const SLIRP_DNS = "10.0.2.3";

export interface ResolvedEgress {
  /** Addresses (CIDRs) per list: the policy's CIDRs plus its host names' current addresses. */
  allow?: { ipv4: string[]; ipv6: string[] };
  deny: { ipv4: string[]; ipv6: string[] };
  /** Whether the bot may ask the resolver: not when nothing outside is allowed. */
  dns: boolean;
}

/**
 * Refused at once, so a bot's connect fails fast instead of retrying: a TCP
 * reset for TCP (ECONNREFUSED), "administratively prohibited" for the rest.
 */
const REJECT = "jump refuse";

export function egressRuleset(egress: ResolvedEgress, blocked: BlockedDestinations): string {
  const allowList = egress.allow;
  const sets = [
    set("deny4", "ipv4_addr", egress.deny.ipv4),
    set("deny6", "ipv6_addr", egress.deny.ipv6),
    set("allow4", "ipv4_addr", allowList?.ipv4 ?? []),
    set("allow6", "ipv6_addr", allowList?.ipv6 ?? []),
    set("blocked4", "ipv4_addr", blocked.ipv4),
    set("blocked6", "ipv6_addr", blocked.ipv6),
  ];
  const rules = [
    'oifname "lo" accept',
    ...(!egress.dns ? [] : [`ip daddr ${SLIRP_DNS} meta l4proto { tcp, udp } th dport 53 accept`]),
    `ip daddr @deny4 ${REJECT}`,
    `ip6 daddr @deny6 ${REJECT}`,
    "ip daddr @allow4 accept",
    "ip6 daddr @allow6 accept",
    ...(allowList ? [REJECT] : [`ip daddr @blocked4 ${REJECT}`, `ip6 daddr @blocked6 ${REJECT}`]),
  ];
  return [
    // Re-applying replaces the table whole; "add" first so the delete never fails.
    `add table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    `table inet ${TABLE} {`,
    ...sets.map((line) => `  ${line}`),
    "  chain refuse {",
    "    meta l4proto tcp reject with tcp reset",
    "    reject with icmpx type admin-prohibited",
    "  }",
    "  chain output {",
    "    type filter hook output priority 0; policy accept;",
    ...rules.map((rule) => `    ${rule}`),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Commands that swap a set's elements, for host names whose addresses changed. */
export function setElementsUpdate(name: string, elements: string[]): string {
  const add = elements.length > 0 ? `\nadd element inet ${TABLE} ${name} { ${elements.join(", ")} }` : "";
  return `flush set inet ${TABLE} ${name}${add}\n`;
}

function set(name: string, type: string, elements: string[]): string {
  const body = elements.length > 0 ? ` elements = { ${elements.join(", ")} }` : "";
  return `set ${name} { type ${type}; flags interval; auto-merge;${body} }`;
}
