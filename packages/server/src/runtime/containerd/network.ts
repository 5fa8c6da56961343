/**
 * Bots with network `isolated` or `host` get their own network namespace, made before the
 * task and named `/run/netns/botbox-<botId>`, which the task's OCI spec joins.
 * CNI ADD runs once per namespace and its result is recorded in the bot's
 * folder: a running task is never given a second ADD, a server
 * restart finds the IP in the record, and DEL (on stop and delete) works from
 * the record after a restart too. Host rules: IP forwarding and one
 * MASQUERADE rule, and a FORWARD chain that drops traffic between
 * two bots while letting them reach the outside; bridge ports are also
 * isolated, so bots cannot reach each other even at layer 2.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { UnavailableError } from "../../errors.js";
import {
  botboxConfList,
  cniAdd,
  type CniAttachment,
  type CniConfList,
  cniDel,
  CniError,
  type CniResult,
  ipOf,
  LOOPBACK,
} from "./cni.js";

const run = promisify(execFile);

export const FORWARD_CHAIN = "BOTBOX-FORWARD";
const NETNS_DIR = "/run/netns";
const CONFLIST_FILE = "10-botbox.conflist";

export interface NetworkOptions {
  binDir: string;
  /** `10-botbox.conflist` there is used as it is; when absent, the generated list is written there. */
  confDir: string;
  name: string;
  bridge: string;
  subnet: string;
  /** host-local's records; default its own (/var/lib/cni/networks). */
  ipamDataDir?: string;
}

interface NetworkRecord {
  containerId: string;
  netns: string;
  ip: string;
  list: CniConfList;
  result: CniResult;
}

export class BotNetwork {
  private listReady?: Promise<CniConfList>;
  private hostReady?: Promise<void>;

  constructor(private readonly options: NetworkOptions) {}

  /** The configuration list: the operator's file, or the generated one (written for inspection and cnitool). */
  confList(): Promise<CniConfList> {
    this.listReady ??= (async () => {
      const file = path.join(this.options.confDir, CONFLIST_FILE);
      const text = await readFile(file, "utf8").catch(() => undefined);
      if (text) return JSON.parse(text) as CniConfList;
      const list = botboxConfList(this.options);
      await mkdir(this.options.confDir, { recursive: true });
      await writeFile(file, `${JSON.stringify(list, null, 2)}\n`);
      return list;
    })().catch((error: unknown) => {
      this.listReady = undefined;
      throw error;
    });
    return this.listReady;
  }

  /** The bridge's interface on the host: what the host firewall's table is about. */
  async bridgeName(): Promise<string> {
    return bridgeOf(await this.confList()).bridge;
  }

  netnsPath(botId: string): string {
    return `${NETNS_DIR}/botbox-${botId}`;
  }

  /** The bot's namespace with its IP: the recorded one, or a new ADD (a stale "duplicate allocation" or "already exists" gets a DEL and one more ADD). */
  async attach(containerId: string, botId: string, recordFile: string): Promise<{ netns: string; ip: string }> {
    const netns = this.netnsPath(botId);
    const recorded = await readRecord(recordFile);
    if (recorded && recorded.netns === netns && existsSync(netns)) return { netns, ip: recorded.ip };
    if (recorded) await this.detach(containerId, botId, recordFile);
    const list = await this.confList();
    await this.prepareHost(list);
    await createNetns(netns);
    const attachment: CniAttachment = { containerId, netns, ifName: "eth0" };
    try {
      await cniAdd(this.options.binDir, LOOPBACK, { ...attachment, ifName: "lo" });
      let result: CniResult;
      try {
        result = await cniAdd(this.options.binDir, list, attachment);
      } catch (error) {
        // A stale reservation or veth from before a crash: remove (its error ignored, the #167
        // fix) and add once more.
        const message = (error as Error).message;
        if (!(message.includes("duplicate allocation") || message.includes("already exists"))) throw error;
        await cniDel(this.options.binDir, list, attachment, undefined).catch(() => {});
        result = await cniAdd(this.options.binDir, list, attachment);
      }
      const ip = ipOf(result);
      if (!ip) throw new CniError("bridge", undefined, "the result names no IP address");
      await isolatePorts(result, bridgeOf(list).bridge);
      const record: NetworkRecord = { containerId, netns, ip, list, result };
      // Written whole or not at all: a torn record would make every later start fail to parse it.
      await writeFile(`${recordFile}.tmp`, JSON.stringify(record), { mode: 0o600 });
      await rename(`${recordFile}.tmp`, recordFile);
      return { netns, ip };
    } catch (error) {
      await cniDel(this.options.binDir, list, attachment, undefined).catch(() => {});
      await removeNetns(netns);
      throw new UnavailableError(`network of ${containerId}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Lets the bot's groups use ICMP datagram sockets (ping without CAP_NET_RAW)
   * in its namespace. Set here, not in the OCI spec: the namespace belongs to
   * the host's user namespace, which a remapped bot cannot write sysctls of,
   * and whose gids are the host's (the bot's range, `low`..`high`).
   */
  async allowPing(botId: string, low: number, high: number): Promise<void> {
    await run("nsenter", [
      `--net=${this.netnsPath(botId)}`,
      "--",
      "sysctl",
      "-q",
      "-w",
      `net.ipv4.ping_group_range=${low} ${high}`,
    ]);
  }

  /**
   * DEL with the recorded result, then the namespace and the record go. With
   * no record (the server died between ADD and writing it), DEL still runs by
   * container id on the current list, so host-local frees the address and
   * the bridge plugin the veth. Errors of DEL are ignored.
   */
  async detach(containerId: string, botId: string, recordFile: string): Promise<void> {
    const recorded = await readRecord(recordFile);
    const netns = recorded?.netns ?? this.netnsPath(botId);
    const list = recorded?.list ?? (await this.confList().catch(() => undefined));
    if (list)
      await cniDel(
        this.options.binDir,
        list,
        { containerId: recorded?.containerId ?? containerId, netns: existsSync(netns) ? netns : "", ifName: "eth0" },
        recorded?.result,
      ).catch(() => {});
    await removeNetns(netns);
    await rm(recordFile, { force: true });
  }

  /** The recorded IP of a bot whose namespace exists. */
  async ipOf(recordFile: string): Promise<string | undefined> {
    const recorded = await readRecord(recordFile);
    return recorded && existsSync(recorded.netns) ? recorded.ip : undefined;
  }

  /** ip_forward, the MASQUERADE rule and the FORWARD chain; idempotent, once per instance. */
  prepareHost(list: CniConfList): Promise<void> {
    this.hostReady ??= (async () => {
      const { bridge, subnet } = bridgeOf(list);
      await writeFile("/proc/sys/net/ipv4/ip_forward", "1");
      await ensureRule("nat", "POSTROUTING", ["-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE"]);
      await run("iptables", ["-w", "-N", FORWARD_CHAIN]).catch(() => {});
      await ensureRule("filter", FORWARD_CHAIN, ["-i", bridge, "-o", bridge, "-j", "DROP"]);
      await ensureRule("filter", FORWARD_CHAIN, ["-i", bridge, "!", "-o", bridge, "-j", "ACCEPT"]);
      await ensureRule("filter", FORWARD_CHAIN, [
        "-o",
        bridge,
        "-m",
        "conntrack",
        "--ctstate",
        "RELATED,ESTABLISHED",
        "-j",
        "ACCEPT",
      ]);
      // First in FORWARD: a DROP policy (Docker sets one) must not cut bots off the outside.
      await ensureRule("filter", "FORWARD", ["-j", FORWARD_CHAIN], true);
    })().catch((error: unknown) => {
      this.hostReady = undefined;
      throw new UnavailableError(`host network rules: ${(error as Error).message}`, { cause: error });
    });
    return this.hostReady;
  }
}

/** The bridge and subnet of the list's bridge plugin: what the host rules are about. */
function bridgeOf(list: CniConfList): { bridge: string; subnet: string } {
  const plugin = list.plugins.find((entry) => entry.type === "bridge") as
    { bridge?: string; ipam?: { ranges?: { subnet: string }[][]; subnet?: string } } | undefined;
  const subnet = plugin?.ipam?.ranges?.[0]?.[0]?.subnet ?? plugin?.ipam?.subnet;
  if (!plugin || !subnet)
    throw new CniError("bridge", undefined, `network ${list.name} has no bridge plugin with a subnet`);
  return { bridge: plugin.bridge ?? "cni0", subnet };
}

async function ensureRule(table: string, chain: string, rule: string[], first = false): Promise<void> {
  const exists = await run("iptables", ["-w", "-t", table, "-C", chain, ...rule]).then(
    () => true,
    () => false,
  );
  if (!exists) await run("iptables", ["-w", "-t", table, first ? "-I" : "-A", chain, ...(first ? ["1"] : []), ...rule]);
}

/** Host-side veths of the bridge: ports that cannot talk to each other, only to the bridge (the host). */
async function isolatePorts(result: CniResult, bridge: string): Promise<void> {
  for (const link of result.interfaces ?? [])
    if (!link.sandbox && link.name !== bridge)
      await run("ip", ["link", "set", "dev", link.name, "type", "bridge_slave", "isolated", "on"]);
}

async function createNetns(netns: string): Promise<void> {
  if (existsSync(netns)) return;
  await run("ip", ["netns", "add", netns.slice(NETNS_DIR.length + 1)]);
}

async function removeNetns(netns: string): Promise<void> {
  if (!existsSync(netns)) return;
  await run("ip", ["netns", "delete", netns.slice(NETNS_DIR.length + 1)]).catch(() => rm(netns, { force: true }));
}

async function readRecord(file: string): Promise<NetworkRecord | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  return text ? (JSON.parse(text) as NetworkRecord) : undefined;
}
