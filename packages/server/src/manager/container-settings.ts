import type {
  EgressPolicy,
  IsolationMode,
  NetworkMode,
  ResourceLimits,
  RuntimeCapabilities,
} from "../runtime/runtime.js";
import type { BotRecord } from "./records.js";

/** The network, egress rules, isolation and limits a bot's container is made with. */
export interface ContainerSettings {
  network: NetworkMode;
  egress?: EgressPolicy;
  isolation: IsolationMode;
  limits: ResourceLimits;
}

/** The server's `[runtime]` defaults for the settings a bot leaves unset. */
export interface SettingsDefaults {
  network: NetworkMode;
  isolation?: IsolationMode;
  limits: ResourceLimits;
}

/**
 * A bot's own settings, and the server's defaults for those it leaves unset.
 * A default the backend cannot hold is left out rather than claimed: a
 * bot's own such limit is refused when it is registered.
 */
export function containerSettings(
  bot: BotRecord,
  defaults: SettingsDefaults,
  capabilities: RuntimeCapabilities | undefined,
): ContainerSettings {
  const own = Object.fromEntries(Object.entries(bot.limits ?? {}).filter(([, value]) => value !== undefined));
  const network = bot.network ?? defaults.network;
  const limits: ResourceLimits = { ...defaults.limits, ...own };
  if (!capabilities?.diskQuota && !("diskBytes" in own)) delete limits.diskBytes;
  // Memory, pids and cpus: only an explicit false says the backend cannot hold them (a sandbox without root).
  if (capabilities?.resourceLimits === false)
    for (const key of ["memoryBytes", "pids", "cpus"] as const) if (!(key in own)) delete limits[key];
  const isolation = bot.isolation ?? defaults.isolation ?? "namespaces";
  return { network, ...(network === "isolated" && bot.egress ? { egress: bot.egress } : {}), isolation, limits };
}
