/** The Docker runtime's `isolated` network, on a bridge of the test's own: the shared container tests. */
import { execFileSync } from "node:child_process";
import { after, describe } from "node:test";

import { tableName } from "../../packages/server/src/runtime/host-firewall.js";
import { containerIsolationTests } from "./container-isolation.js";
import { dockerClient, dockerSuite, dockerUnavailable } from "./docker-support.js";
import { nftTable } from "./isolation-support.js";

const unavailable =
  (await dockerUnavailable()) ?? (process.getuid?.() !== 0 ? "the network tests need root" : undefined);
const BRIDGE = `botbox-isolation-${process.pid}`;

describe("docker runtime: isolated network", { skip: unavailable }, () => {
  const suite = dockerSuite({ bridge: BRIDGE });
  let iface: string | undefined;
  const bridge = async () => {
    const network = (await dockerClient().getNetwork(BRIDGE).inspect()) as {
      Id: string;
      IPAM: { Config: { Gateway: string; Subnet: string }[] };
    };
    const [{ Gateway: gateway, Subnet: subnet }] = network.IPAM.Config as [{ Gateway: string; Subnet: string }];
    iface = `br-${network.Id.slice(0, 12)}`;
    return { iface, gateway, subnet };
  };

  containerIsolationTests({
    backend: "docker",
    suite,
    bridge,
    ipOf: async (spec) =>
      (await dockerClient().getContainer(spec.id).inspect()).NetworkSettings.Networks[BRIDGE]!.IPAddress,
    reopen: async () => suite.another(),
  });

  // After dockerSuite's own (the bots, then the bridge): the bridge's table goes with it.
  after(async () => {
    if (iface && (await nftTable(tableName("docker", iface))))
      execFileSync("nft", ["delete", "table", "inet", tableName("docker", iface)]);
  });
});
