/**
 * The `isolated` network of the container backends (Docker, containerd):
 * bots sit on a bridge, and the host filters what they send in an nftables
 * table of its own, `inet botbox_<backend>_<bridge>`, in the host's network
 * namespace, where root in a bot has no say (docs/runtimes.md, "Network").
 *
 * Everything a bot on the bridge sends passes the table's forward chain (to
 * other hosts, other bots) or input chain (to any address of the host). Per
 * running bot, a map from its bridge address gives the verdict: `host` bots
 * are accepted, `isolated` bots jump to a chain of their own (deny, DNS,
 * allow, then the internet only). Anything else (an address the table does
 * not know yet, IPv6) is refused: a bot whose rules are not loaded yet, or
 * were lost, is cut off rather than let out. The table is rebuilt whole, in
 * one nft transaction, from the daemon's list of running bots, under a lock
 * every process on the machine shares, so two servers or test runs on one
 * bridge never load a stale list over a newer one.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

import { UnavailableError } from "../errors.js";
import type { EgressPolicy } from "./egress.js";
import type { DoctorCheck, NetworkMode } from "./runtime.js";
import { blockedDestinations, resolveEgress } from "./sandbox/network/index.js";

/** A running bot on the bridge, as the daemon lists it. */
export interface BridgeBot {
  /** Its IPv4 address on the bridge. */
  ip: string;
  network: NetworkMode;
  egress?: EgressPolicy;
}

export interface BridgeState {
  /** The bridge's interface name on the host. */
  bridge: string;
  bots: BridgeBot[];
}

/** What rebuilding needs that is not in the state: the host's blocked ranges and resolvers. */
interface HostView {
  blocked4: string[];
  resolvers: string[];
}

/** How often host names are looked up again and the table is checked; also heals a flushed ruleset. */
const REFRESH_MS = 60_000;
const PREFIX = "botbox_";

export function tableName(backend: string, bridge: string): string {
  return `${PREFIX}${backend}_${bridge.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * The whole table for one bridge. `resolved` holds each isolated bot's
 * policy as addresses (host names looked up), by bot address.
 */
export function bridgeRuleset(
  table: string,
  state: BridgeState,
  resolved: Map<string, Awaited<ReturnType<typeof resolveEgress>>>,
  host: HostView,
): string {
  const elements: string[] = [];
  const chains: string[] = [];
  for (const bot of state.bots) {
    if (bot.network === "host") {
      elements.push(`${bot.ip} : accept`);
      continue;
    }
    const egress = resolved.get(bot.ip)!;
    const chain = `bot_${bot.ip.replace(/\./g, "_")}`;
    const rules = [
      ...addressRule(egress.deny.ipv4, "goto refuse"),
      ...(egress.dns ? addressRule(host.resolvers, "meta l4proto { tcp, udp } th dport 53 accept") : []),
      ...(egress.allow
        ? [...addressRule(egress.allow.ipv4, "accept"), "goto refuse"]
        : ["fib daddr type local goto refuse", "ip daddr @blocked4 goto refuse", "accept"]),
    ];
    elements.push(`${bot.ip} : jump ${chain}`);
    chains.push(`  chain ${chain} {`, ...rules.map((rule) => `    ${rule}`), "  }");
  }
  const bridge = JSON.stringify(state.bridge);
  return [
    // Replaced whole in one transaction; "add" first so the delete never fails.
    `add table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  set blocked4 { type ipv4_addr; flags interval; auto-merge; elements = { ${host.blocked4.join(", ")} } }`,
    `  map bots { type ipv4_addr : verdict;${elements.length ? ` elements = { ${elements.join(", ")} }` : ""} }`,
    // Refused at once, so a connect fails fast: a TCP reset, else "administratively prohibited".
    "  chain refuse {",
    "    meta l4proto tcp reject with tcp reset",
    "    reject with icmpx type admin-prohibited",
    "  }",
    ...chains,
    "  chain from_bots {",
    // Replies to connections the host (the agent channel) or an allowed destination opened.
    "    ct state established,related accept",
    "    meta nfproto ipv4 ip saddr vmap @bots",
    "    goto refuse",
    "  }",
    // Before Docker's and CNI's filter chains (priority 0): an accept there cannot undo a refusal here.
    "  chain forward {",
    "    type filter hook forward priority filter - 10; policy accept;",
    `    iifname ${bridge} jump from_bots`,
    "  }",
    "  chain input {",
    "    type filter hook input priority filter - 10; policy accept;",
    `    iifname ${bridge} jump from_bots`,
    "  }",
    "}",
    "",
  ].join("\n");
}

function addressRule(addresses: string[], verdict: string): string[] {
  return addresses.length > 0 ? [`ip daddr { ${addresses.join(", ")} } ${verdict}`] : [];
}

/**
 * The resolvers a bot's DNS goes to: the host's (systemd-resolved's real
 * list rather than its stub), which containerd bots are given and Docker's
 * embedded DNS forwards to from the bot's namespace. Docker falls back to
 * Google's when the host names only loopback ones.
 */
export async function hostResolvers(): Promise<string[]> {
  const found = new Set<string>();
  for (const file of ["/run/systemd/resolve/resolv.conf", "/etc/resolv.conf"]) {
    const text = await readFile(file, "utf8").catch(() => "");
    for (const match of text.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm))
      if (!match[1]!.startsWith("127.")) found.add(match[1]!);
  }
  return found.size > 0 ? [...found] : ["8.8.8.8", "8.8.4.4"];
}

/**
 * Keeps one bridge's table current. `sync` rebuilds it from `state()`, read
 * under the lock; `keepCurrent` also rebuilds it every minute (host names,
 * bots that ended on their own, a ruleset someone flushed).
 */
export class HostFirewall {
  private queue: Promise<void> = Promise.resolve();
  /** A rebuild queued but not started yet: it reads the state late enough for every caller that joins it. */
  private pending?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly backend: string,
    private readonly state: () => Promise<BridgeState | undefined>,
  ) {}

  /** Resolves once a rebuild that read the state after this call has loaded the table. */
  sync(): Promise<void> {
    if (this.pending) return this.pending;
    const next = this.queue.then(() => {
      this.pending = undefined;
      return this.rebuild();
    });
    this.pending = next;
    this.queue = next.catch(() => {});
    return next;
  }

  keepCurrent(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sync().catch(() => {}), REFRESH_MS).unref();
    void this.sync().catch(() => {});
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async rebuild(): Promise<void> {
    const nft = await nftVersion();
    await withMachineLock(`${PREFIX}${this.backend}`, async () => {
      const state = await this.state();
      if (!state) return;
      if (!nft) {
        // Nothing to enforce for host and none bots; an isolated one must not run unfiltered.
        if (state.bots.some((bot) => bot.network === "isolated")) throw new UnavailableError(NFT_MISSING);
        return;
      }
      const resolved = new Map(
        await Promise.all(state.bots.map(async (bot) => [bot.ip, await resolveEgress(bot.egress)] as const)),
      );
      const host = { blocked4: blockedDestinations().ipv4, resolvers: await hostResolvers() };
      const table = tableName(this.backend, state.bridge);
      const script = bridgeRuleset(table, state, resolved, host) + (await staleTables(this.backend, table));
      await runNft(["-f", "-"], script);
    });
  }
}

const NFT_MISSING = 'network "isolated" needs nftables on the host: apt-get install nftables';

/** Tables of this backend whose bridge is gone (a removed Docker network, a deleted CNI bridge). */
async function staleTables(backend: string, keep: string): Promise<string> {
  const listed = await runNft(["list", "tables"], "");
  const interfaces = new Set((await readdir("/sys/class/net").catch(() => [])).map((name) => tableName(backend, name)));
  return [...listed.matchAll(/^table inet (\S+)$/gm)]
    .map((match) => match[1]!)
    .filter((name) => name.startsWith(`${PREFIX}${backend}_`) && name !== keep && !interfaces.has(name))
    .map((name) => `delete table inet ${name}\n`)
    .join("");
}

let installed: Promise<string | undefined> | undefined;

/** nft's version line, looked up once per process while found (a missing one is looked up again). */
function nftVersion(): Promise<string | undefined> {
  installed ??= runNft(["--version"], "").then(
    (out) => out.trim(),
    () => {
      installed = undefined;
      return undefined;
    },
  );
  return installed;
}

/** `botbox doctor`'s word on the isolated network of a container backend. */
export async function hostFirewallCheck(backend: string): Promise<DoctorCheck> {
  const name = "isolated network";
  const version = await nftVersion();
  if (!version) return { name, ok: false, detail: `nft is missing: ${NFT_MISSING}` };
  const usable = await runNft(["list", "tables"], "").then(
    () => true,
    () => false,
  );
  return usable
    ? {
        name,
        ok: true,
        detail: `${version}: isolated bots' traffic is filtered in the host's table inet ${PREFIX}${backend}_<bridge> (forward and input hooks); they reach the internet only, narrowed by their egress rules`,
      }
    : { name, ok: false, detail: `${version} cannot change the host's ruleset: the server must run as root` };
}

function runNft(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("nft", args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (out += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (err += text));
    child.on("error", (error) => reject(new UnavailableError(`nft: ${error.message}`, { cause: error })));
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new UnavailableError(`nft ${args.join(" ")} failed: ${err.trim()}`)),
    );
    // nft may be gone (and its end of the pipe closed) before the input is written: its exit code says why.
    child.stdin.on("error", () => {}).end(input);
  });
}

/**
 * Runs `work` holding an flock on a lock file every process on the machine
 * shares (the kernel releases it if the holder dies). Without flock, only
 * this process's own queue orders the rebuilds.
 */
async function withMachineLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const folder = existsSync("/run/lock") ? "/run/lock" : "/tmp";
  const child = spawn("flock", ["-x", "-w", "30", `${folder}/${name}.lock`, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  child.stdin.on("error", () => {});
  const locked = await new Promise<boolean>((resolve) => {
    child.stdout.once("data", () => resolve(true));
    child.on("error", () => resolve(false));
    child.on("close", () => resolve(false));
  });
  try {
    return await work();
  } finally {
    if (locked) child.stdin.end();
  }
}
