/**
 * What the host firewall (../host-firewall.ts) needs from the daemon: the
 * bots' bridge interface and every running botbox container on it, with its
 * address and its spec label's network and egress. Containers of any botbox
 * home count: the bridge is the daemon's.
 */
import type Docker from "dockerode";

import { ConflictError } from "../../errors.js";
import type { BridgeBot, BridgeState } from "../host-firewall.js";
import { containerInfoOf, RUNTIME_LABEL } from "./container-config.js";
import { docker, dockerOrMissing } from "./docker-errors.js";

/** Undefined while the bridge network does not exist (no bot ever needed it). */
export async function dockerBridgeState(client: Docker, network: string): Promise<BridgeState | undefined> {
  const inspect = (await dockerOrMissing(`inspect network ${network}`, () => client.getNetwork(network).inspect())) as
    { Id: string; Options?: Record<string, string> } | undefined;
  if (!inspect) return undefined;
  // Docker names a bridge br-<id> unless the network was made with a name for it.
  const bridge = inspect.Options?.["com.docker.network.bridge.name"] ?? `br-${inspect.Id.slice(0, 12)}`;
  const filters = { label: [`${RUNTIME_LABEL}=docker`], network: [inspect.Id] };
  const listed = await docker("list containers", () => client.listContainers({ filters: JSON.stringify(filters) }));
  const bots: BridgeBot[] = [];
  for (const container of listed) {
    const info = containerInfoOf(container.Names[0] ?? "", container.Labels);
    const ip = Object.values(container.NetworkSettings.Networks).find(
      (attached) => attached.NetworkID === inspect.Id,
    )?.IPAddress;
    if (info && ip && info.network !== "none")
      bots.push({ ip, network: info.network, ...(info.egress ? { egress: info.egress } : {}) });
  }
  return { bridge, bots };
}

/**
 * The bots' bridge network, made where missing with inter-container traffic
 * disabled, so bots cannot reach each other. Looked for once per runtime; a
 * failure is asked again next time.
 */
export class BotBridge {
  private ready?: Promise<void>;

  constructor(
    private readonly client: Docker,
    readonly name: string,
  ) {}

  ensure(): Promise<void> {
    this.ready ??= this.make().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async make(): Promise<void> {
    const { client, name } = this;
    if ((await this.networksNamed()).length === 0) {
      await docker(`create network ${name}`, () =>
        client.createNetwork({
          Name: name,
          Driver: "bridge",
          CheckDuplicate: true,
          Options: { "com.docker.network.bridge.enable_icc": "false" },
          Labels: { [RUNTIME_LABEL]: "docker" },
        }),
      ).catch((error: unknown) => {
        // Made meanwhile by another server on the same daemon.
        if (!(error instanceof ConflictError)) throw error;
      });
    }
    // CheckDuplicate is not atomic: two servers (or test processes) creating
    // at once can both succeed, and a name that names two networks is then
    // refused everywhere ("is ambiguous"). Each keeps the oldest and removes
    // the rest, so all of them agree on one.
    const [, ...duplicates] = await this.networksNamed();
    for (const duplicate of duplicates) {
      await dockerOrMissing(`remove duplicate network ${name} ${duplicate.Id}`, () =>
        client.getNetwork(duplicate.Id).remove(),
      );
    }
  }

  /** The networks called exactly this name (Docker's filter matches parts of names), oldest first. */
  private async networksNamed(): Promise<{ Id: string; Created: string }[]> {
    const { client, name } = this;
    const listed = await docker(`list networks named ${name}`, () =>
      client.listNetworks({ filters: { name: [name] } }),
    );
    return listed
      .filter((network) => network.Name === name)
      .map(({ Id, Created }) => ({ Id, Created: String(Created) }))
      .sort((a, b) => Date.parse(a.Created) - Date.parse(b.Created) || a.Id.localeCompare(b.Id));
  }
}
