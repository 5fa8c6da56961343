/**
 * The `isolated` network of a sandbox bot (docs/runtimes.md, "Network").
 *
 * The launcher starts bwrap inside a network namespace that the host made
 * (`unshare --net`, as root), so the namespace belongs to the host's user
 * namespace, not to the bot's: root inside the bot has no capability over
 * it. While the agent boots, this class loads the egress rules into that
 * namespace with nft and attaches slirp4netns for outbound access, both at
 * once (about 20 ms each); the start waits for both.
 */
import { spawn } from "node:child_process";

import { UnavailableError } from "../../../errors.js";
import type { EgressPolicy } from "../../egress.js";
import { blockedDestinations } from "./blocked-ranges.js";
import { egressRuleset, type ResolvedEgress, setElementsUpdate } from "./egress-ruleset.js";
import { findNetworkTools, type NetworkTool } from "./host-tools.js";
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

export class IsolatedNetwork {
  constructor(
    private readonly tools: Record<NetworkTool, string>,
    private readonly resolve: Lookup = lookupAll,
  ) {}

  /** The command that starts `command` in a new network namespace, as `uid`:`gid`. */
  wrap(command: string, args: string[], identity: { uid: number; gid: number }): { command: string; args: string[] } {
    return {
      command: this.tools.unshare,
      args: [
        "--net",
        "--",
        this.tools.setpriv,
        `--reuid=${identity.uid}`,
        `--regid=${identity.gid}`,
        "--clear-groups",
        "--",
        command,
        ...args,
      ],
    };
  }

  /** Loads the rules and starts slirp4netns for the namespace of `pid`. */
  async attach(pid: number, policy: EgressPolicy | undefined, logFile: string): Promise<NetworkTaskRecord> {
    const netns = `/proc/${pid}/ns/net`;
    const resolved = await resolveEgress(policy, this.resolve);
    // Both at once. The link may come up a few milliseconds before the rules,
    // but nothing of the bot's runs then: only its init and the booting agent,
    // and the start (so any exec) waits for both.
    const [slirp, rules] = await Promise.allSettled([
      startSlirp(this.tools, netns, logFile),
      this.nft(netns, egressRuleset(resolved, blockedDestinations())),
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
    await this.nft(`/proc/${pid}/ns/net`, updates.join(""));
    return { ...last, resolved };
  }

  async detach(record: NetworkTaskRecord | undefined): Promise<void> {
    await stopHelper(record?.slirp);
  }

  /** Runs nft with `script` on stdin inside the namespace at `netns`. */
  private nft(netns: string, script: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.tools.nsenter, [`--net=${netns}`, "--", this.tools.nft, "-f", "-"], {
        stdio: ["pipe", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
      child.on("error", (error) => reject(new UnavailableError(`cannot run nft: ${error.message}`, { cause: error })));
      child.on("close", (code) =>
        code === 0
          ? resolve()
          : reject(new UnavailableError(`loading the bot's network rules failed (nft exit ${code}): ${stderr.trim()}`)),
      );
      child.stdin.end(script);
    });
  }
}
