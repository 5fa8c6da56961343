/**
 * The sandbox's isolated network for its bots, made on first use: the
 * network namespaces kept ready (network/netns-pool.ts) and the minutely
 * refresh of running bots' egress host names. A server that cannot give
 * isolated networks says why once asked, not at start.
 */
import path from "node:path";

import { UnavailableError } from "../../errors.js";
import type { ContainerRecord, ContainerStore } from "./container-store.js";
import { runningAsRoot } from "./host-ids.js";
import { readJsonFile, writeJsonFile } from "./json-file.js";
import { botPaths } from "./layout.js";
import { detectIsolation, hasHostNames, IsolatedNetwork, type IsolationSupport, NetnsPool } from "./network/index.js";
import { DEFAULT_NETWORK_POOL } from "./settings.js";
import { isAlive, type TaskRecord } from "./task-record.js";

/** How often running bots' egress host names are looked up again. */
const EGRESS_REFRESH_MS = 60_000;

export interface BotNetworksOptions {
  home: string;
  containers: ContainerStore;
  /** Namespaces kept made ahead; 0 turns the pool off. Default DEFAULT_NETWORK_POOL. */
  networkPool?: number;
  logger?: { warn(fields: object, message: string): void };
  /** A warning about one bot, for its log too. */
  warn(record: ContainerRecord, message: string): Promise<void>;
}

export class BotNetworks {
  private isolation?: { support: IsolationSupport; network?: IsolatedNetwork };
  private readonly egressRefresh: NodeJS.Timeout;

  constructor(private readonly options: BotNetworksOptions) {
    this.egressRefresh = setInterval(() => void this.refreshEgress(), EGRESS_REFRESH_MS).unref();
    // Pooled namespaces a crashed server left behind; a live server's stay.
    if (runningAsRoot()) void NetnsPool.sweep(this.poolDir());
  }

  /** The isolated network, or UnavailableError saying why this server cannot give one. */
  isolated(): IsolatedNetwork {
    if (!this.isolation) {
      const support = detectIsolation();
      this.isolation = support.ok ? { support, network: this.make(support.tools) } : { support };
    }
    if (!this.isolation.network) throw new UnavailableError((this.isolation.support as { reason: string }).reason);
    return this.isolation.network;
  }

  /** How many pooled network namespaces are ready now. */
  get pooledReady(): number {
    return this.isolation?.network?.pooledReady ?? 0;
  }

  /** Stops the refresh and ends the pooled namespaces no bot has taken. */
  async close(): Promise<void> {
    clearInterval(this.egressRefresh);
    await this.isolation?.network?.close();
  }

  private make(tools: Extract<IsolationSupport, { ok: true }>["tools"]): IsolatedNetwork {
    const warn = (message: string) => this.options.logger?.warn({}, message);
    return new IsolatedNetwork(tools, {
      pool: { dir: this.poolDir(), size: this.options.networkPool ?? DEFAULT_NETWORK_POOL, warn },
    });
  }

  private poolDir(): string {
    return path.join(this.options.home, "netpool");
  }

  /** Looks the egress host names of running isolated bots up again and updates their rules. */
  private async refreshEgress(): Promise<void> {
    const network = this.isolation?.network;
    if (!network) return;
    for (const record of await this.options.containers.list().catch(() => [])) {
      if (record.spec.network !== "isolated" || !hasHostNames(record.spec.egress)) continue;
      const paths = botPaths(this.options.home, record.spec.botId);
      const task = await readJsonFile<TaskRecord>(paths.task).catch(() => undefined);
      if (!task?.network || !(await isAlive(task))) continue;
      try {
        const updated = await network.refresh(task.pid, record.spec.egress, task.network);
        if (updated) await writeJsonFile(paths.task, { ...task, network: updated });
      } catch (error) {
        await this.options.warn(record, `egress host names not refreshed: ${(error as Error).message}`);
      }
    }
  }
}
