/**
 * What the host firewall (../host-firewall.ts) needs from containerd: the
 * bridge of the CNI list and every bot attached to it, with the address of
 * its network record and its spec label's network and egress. Containers of
 * any botbox home on the namespace count (their records are found through
 * the folders their labels name): the bridge is the machine's.
 */
import path from "node:path";

import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import type { BridgeBot, BridgeState } from "../host-firewall.js";
import type { ContainerdApi } from "./api.js";
import { containerInfoOf, RUNTIME_LABEL, storedSpecOf } from "./container-record.js";
import type { BotNetwork } from "./network.js";

export async function containerdBridgeState(api: ContainerdApi, network: BotNetwork): Promise<BridgeState> {
  const response = await api.call<{ containers: Container[] }>("list containers", (md, options, done) =>
    api.containers.list({ filters: [`labels."${RUNTIME_LABEL}"==containerd`] }, md, options, done),
  );
  const bots: BridgeBot[] = [];
  for (const container of response.containers) {
    const info = containerInfoOf(container);
    const stored = storedSpecOf(container);
    if (!info || !stored || info.network === "none") continue;
    // network.json sits beside the run folder (layout.ts); it exists from ADD to DEL.
    const ip = await network.ipOf(path.join(path.dirname(stored.run), "network.json"));
    if (ip) bots.push({ ip, network: info.network, ...(info.egress ? { egress: info.egress } : {}) });
  }
  return { bridge: await network.bridgeName(), bots };
}
