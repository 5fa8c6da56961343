/**
 * The `isolated` network of a sandbox bot (docs/runtimes.md, "The sandbox's
 * isolated network").
 *
 * Each bot's bwrap runs in a network namespace the host made, as root, so
 * the namespace belongs to the host's user namespace, not to the bot's: root
 * inside the bot has no capability over it. The namespace gets the egress
 * rules (nft) and slirp4netns for outbound access. A start leases one: from
 * the pool of namespaces made ahead (netns-pool.ts) when one is ready, with
 * only the rules swapped when the bot's differ from the default; otherwise a
 * fresh one (`unshare --net`), whose rules and slirp4netns come up while the
 * agent boots. The start waits for both either way.
 */
import { readlink } from "node:fs/promises";

import { UnavailableError } from "../../../errors.js";
import type { EgressPolicy } from "../../egress.js";
import { blockedDestinations } from "./blocked-ranges.js";
import { egressRuleset, type ResolvedEgress, setElementsUpdate } from "./egress-ruleset.js";
import { findNetworkTools, type NetworkTool, unshareSetsIdentity } from "./host-tools.js";
import { NetnsPool, type PooledNamespace } from "./netns-pool.js";
import { loadRules } from "./nft.js";
import { type Lookup, lookupAll, resolveEgress } from "./resolve-egress.js";
import { type HelperProcess, startSlirp, stopHelper } from "./slirp.js";

/** What a running isolated bot's task keeps about its network. */
export interface NetworkTaskRecord {
  slirp: HelperProcess;
  /** The addresses last loaded, to tell whether a re-resolve changed anything. */
  resolved: ResolvedEgress;
}

export type IsolationSupport = { ok: true; tools: Record<NetworkTool, string> } | { ok: false; reason: string };

export function detectIsolation(): IsolationSupport {
  if (process.getuid?.() !== 0)
    return {
      ok: false,
      reason:
        'network "isolated" needs the server to run as root (it makes each bot\'s network namespace, which the bot must not own); run botbox serve as root, or give bots network "none"',
    };
  const found = findNetworkTools();
  return "missing" in found
    ? { ok: false, reason: `network "isolated": ${found.missing}` }
    : { ok: true, tools: found.tools };
}

type Identity = { uid: number; gid: number };

/** One start's network namespace: used by one bot, once. */
export interface NetworkLease {
  /** The command that starts `command` in the namespace, as `identity`; it execs `command`. */
  wrap(command: string, args: string[], identity: Identity): { command: string; args: string[] };
  /** Once the sandbox's init (`pid`) is in: the bot's rules and slirp4netns, as its task records them. */
  attach(pid: number, policy: EgressPolicy | undefined, slirpLog: string): Promise<NetworkTaskRecord>;
  /** The start failed: ends what the lease holds (a pooled namespace, the slirp4netns). */
  abandon(): Promise<void>;
}

export interface IsolatedNetworkOptions {
  /** The pool of namespaces made ahead; absent or size 0: every start makes its own. */
  pool?: { dir: string; size: number; warn: (message: string) => void };
  resolve?: Lookup;
}

export class IsolatedNetwork {
  private readonly resolve: Lookup;
  private readonly pool?: NetnsPool;
  /** unshare becomes the bot's uid itself (util-linux 2.38), else through setpriv: one exec more. */
  private readonly unshareSetsIdentity: boolean;

  constructor(
    private readonly tools: Record<NetworkTool, string>,
    options: IsolatedNetworkOptions = {},
  ) {
    this.resolve = options.resolve ?? lookupAll;
    this.unshareSetsIdentity = unshareSetsIdentity(tools.unshare);
    const pool = options.pool;
    if (pool && pool.size > 0) {
      this.pool = new NetnsPool({
        tools,
        ...pool,
        // The default policy: no lookups, so it is computed on the spot.
        ruleset: () => egressRuleset({ deny: { ipv4: [], ipv6: [] }, dns: true }, blockedDestinations()),
      });
      this.pool.refill();
    }
  }

  /** How many pooled namespaces are ready now; 0 without a pool. */
  get pooledReady(): number {
    return this.pool?.readyCount ?? 0;
  }

  /** A namespace for one start: a pooled one when ready, else a fresh one made at launch. */
  async lease(): Promise<NetworkLease> {
    const pooled = await this.pool?.take();
    return pooled ? new PooledLease(this, this.pool!, pooled) : new FreshLease(this);
  }

  /** Ends the pooled namespaces not handed to a bot; running bots keep theirs. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** The command that starts `command` in a new network namespace, as `uid`:`gid`. */
  wrap(command: string, args: string[], identity: Identity): { command: string; args: string[] } {
    const become = this.unshareSetsIdentity
      ? [`--setuid=${identity.uid}`, `--setgid=${identity.gid}`, "--"]
      : ["--", this.tools.setpriv, `--reuid=${identity.uid}`, `--regid=${identity.gid}`, "--clear-groups", "--"];
    return { command: this.tools.unshare, args: ["--net", ...become, command, ...args] };
  }

  /** The command that starts `command` in the existing namespace at `netns`, as `uid`:`gid`. */
  wrapIn(netns: string, command: string, args: string[], identity: Identity): { command: string; args: string[] } {
    return {
      command: this.tools.nsenter,
      // nsenter drops supplementary groups when it sets the ids, as setpriv --clear-groups does.
      args: [`--net=${netns}`, `--setuid=${identity.uid}`, `--setgid=${identity.gid}`, "--", command, ...args],
    };
  }

  /** The rule set for a bot's policy: its addresses now, against the host's addresses now. */
  async rulesFor(policy: EgressPolicy | undefined): Promise<{ resolved: ResolvedEgress; ruleset: string }> {
    const resolved = await resolveEgress(policy, this.resolve);
    return { resolved, ruleset: egressRuleset(resolved, blockedDestinations()) };
  }

  /** Loads a rule set into the namespace at `netns` (one nft transaction). */
  loadRules(netns: string, ruleset: string): Promise<void> {
    return loadRules(this.tools, netns, ruleset);
  }

  /** Loads the rules and starts slirp4netns for the namespace of `pid`. */
  async attach(pid: number, policy: EgressPolicy | undefined, logFile: string): Promise<NetworkTaskRecord> {
    const netns = `/proc/${pid}/ns/net`;
    const { resolved, ruleset } = await this.rulesFor(policy);
    // Both at once. The link may come up a few milliseconds before the rules,
    // but nothing of the bot's runs then: only its init and the booting agent,
    // and the start (so any exec) waits for both.
    const [slirp, rules] = await Promise.allSettled([
      startSlirp(this.tools, netns, logFile),
      this.loadRules(netns, ruleset),
    ]);
    if (slirp.status === "rejected") throw slirp.reason;
    if (rules.status === "rejected") {
      await stopHelper(slirp.value);
      throw rules.reason;
    }
    return { slirp: slirp.value, resolved };
  }

  /**
   * Looks the policy's host names up again and swaps the addresses of the
   * sets that changed; returns the new record, or undefined when nothing did.
   */
  async refresh(
    pid: number,
    policy: EgressPolicy | undefined,
    last: NetworkTaskRecord,
  ): Promise<NetworkTaskRecord | undefined> {
    const resolved = await resolveEgress(policy, this.resolve);
    const updates: string[] = [];
    const compare = (name: string, next: string[] | undefined, previous: string[] | undefined) => {
      if (next && JSON.stringify(next) !== JSON.stringify(previous)) updates.push(setElementsUpdate(name, next));
    };
    compare("allow4", resolved.allow?.ipv4, last.resolved.allow?.ipv4);
    compare("allow6", resolved.allow?.ipv6, last.resolved.allow?.ipv6);
    compare("deny4", resolved.deny.ipv4, last.resolved.deny.ipv4);
    compare("deny6", resolved.deny.ipv6, last.resolved.deny.ipv6);
    if (updates.length === 0) return undefined;
    await this.loadRules(`/proc/${pid}/ns/net`, updates.join(""));
    return { ...last, resolved };
  }

  async detach(record: NetworkTaskRecord | undefined): Promise<void> {
    await stopHelper(record?.slirp);
  }
}

/** A namespace made at launch: `unshare --net`, then rules and slirp4netns while the agent boots. */
class FreshLease implements NetworkLease {
  private attaching?: Promise<NetworkTaskRecord>;

  constructor(private readonly network: IsolatedNetwork) {}

  wrap(command: string, args: string[], identity: Identity) {
    return this.network.wrap(command, args, identity);
  }

  attach(pid: number, policy: EgressPolicy | undefined, slirpLog: string): Promise<NetworkTaskRecord> {
    this.attaching = this.network.attach(pid, policy, slirpLog);
    return this.attaching;
  }

  async abandon(): Promise<void> {
    await this.network.detach(await this.attaching?.catch(() => undefined));
  }
}

/** A namespace from the pool: already holding the default rules and slirp4netns. */
class PooledLease implements NetworkLease {
  private attaching?: Promise<NetworkTaskRecord>;
  private handedOver = false;

  constructor(
    private readonly network: IsolatedNetwork,
    private readonly pool: NetnsPool,
    private readonly entry: PooledNamespace,
  ) {}

  wrap(command: string, args: string[], identity: Identity) {
    return this.network.wrapIn(NetnsPool.netnsPath(this.entry), command, args, identity);
  }

  attach(pid: number, policy: EgressPolicy | undefined, slirpLog: string): Promise<NetworkTaskRecord> {
    this.attaching = this.attachTo(pid, policy, slirpLog);
    return this.attaching;
  }

  async abandon(): Promise<void> {
    await this.attaching?.catch(() => undefined);
    if (this.handedOver) await stopHelper(this.entry.slirp);
    else await this.pool.discard(this.entry);
  }

  private async attachTo(pid: number, policy: EgressPolicy | undefined, slirpLog: string) {
    const [joined, pooled] = await Promise.all([
      readlink(`/proc/${pid}/ns/net`).catch(() => undefined),
      readlink(NetnsPool.netnsPath(this.entry)),
    ]);
    if (joined !== pooled)
      throw new UnavailableError(
        `the sandbox is not in the pooled network namespace (${String(joined)}, not ${pooled})`,
      );
    await this.pool.handOver(this.entry, slirpLog);
    this.handedOver = true;
    // The default rules are in; a bot with rules of its own (or a host whose
    // addresses changed since) gets the table replaced in one transaction.
    const { resolved, ruleset } = await this.network.rulesFor(policy);
    if (ruleset !== this.entry.ruleset) await this.network.loadRules(`/proc/${pid}/ns/net`, ruleset);
    return { slirp: this.entry.slirp, resolved };
  }
}
