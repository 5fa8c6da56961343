/**
 * What an `isolated` bot may not reach unless an egress rule allows it: the
 * host itself (every address of every interface, and the subnets they are
 * on), loopback, link-local (cloud metadata endpoints live at
 * 169.254.169.254), the private and shared ranges, multicast and the
 * reserved blocks. Read afresh at each start, so a host address that came up
 * since is covered.
 */
import { networkInterfaces } from "node:os";

/** RFC 1918, RFC 6598, RFC 3927, loopback, "this network", multicast, reserved; IPv6 loopback, ULA, link-local, multicast, v4-mapped. */
export const PRIVATE_RANGES = {
  ipv4: [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/4",
    "240.0.0.0/4",
  ],
  ipv6: ["::/127", "::ffff:0:0/96", "fc00::/7", "fe80::/10", "ff00::/8"],
} as const;

export interface BlockedDestinations {
  ipv4: string[];
  ipv6: string[];
}

/** The private ranges plus each host interface's address and subnet. */
export function blockedDestinations(): BlockedDestinations {
  const blocked: BlockedDestinations = { ipv4: [...PRIVATE_RANGES.ipv4], ipv6: [...PRIVATE_RANGES.ipv6] };
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      const list = address.family === "IPv4" ? blocked.ipv4 : blocked.ipv6;
      // Zone ids (fe80::1%eth0) are not part of an address nftables takes.
      const plain = address.address.replace(/%.*$/, "");
      list.push(`${plain}/${address.family === "IPv4" ? 32 : 128}`);
      if (address.cidr) list.push(networkOf(address.cidr.replace(/%.*$/, ""), address.family));
    }
  }
  return { ipv4: [...new Set(blocked.ipv4)], ipv6: [...new Set(blocked.ipv6)] };
}

/**
 * `192.0.2.7/24` → `192.0.2.0/24`: nftables refuses a prefix with host bits
 * set. IPv6 subnets are kept as the address itself when not on a 16-bit
 * boundary; the /128 of the address above still covers the host.
 */
function networkOf(cidr: string, family: "IPv4" | "IPv6"): string {
  const [address, prefixText] = cidr.split("/") as [string, string];
  const prefix = Number(prefixText);
  if (family === "IPv4") {
    const value = address.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const network = (value & mask) >>> 0;
    return `${[24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join(".")}/${prefix}`;
  }
  return `${zeroHostBits6(address, prefix)}/${prefix}`;
}

function zeroHostBits6(address: string, prefix: number): string {
  const [head, tail = ""] = address.split("::") as [string, string?];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const groups = [...headParts, ...Array(8 - headParts.length - tailParts.length).fill("0"), ...tailParts].map(
    (group) => parseInt(group || "0", 16),
  );
  const masked = groups.map((group, index) => {
    const bits = Math.max(0, Math.min(16, prefix - index * 16));
    return bits === 16 ? group : bits === 0 ? 0 : group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return masked.map((group) => group.toString(16)).join(":");
}
