/** The containerd runtime's `isolated` network: the shared container tests, and its TCP agent channel. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import { containerIsolationTests } from "./container-isolation.js";
import { containerdSuite, containerdUnavailable } from "./containerd-support.js";
import { hostAddress, probe } from "./isolation-support.js";

const unavailable = await containerdUnavailable();
// The bridge is the machine's: other suites' bots share it and its table, which is left in place.
const BRIDGE = { iface: "botbox0", gateway: "10.88.0.1", subnet: "10.88.0.0/16" };

describe("containerd runtime: isolated network", { skip: unavailable }, () => {
  const suite = containerdSuite();
  const shared = containerIsolationTests({
    backend: "containerd",
    suite,
    bridge: async () => BRIDGE,
    ipOf: async (spec) =>
      (JSON.parse(await readFile(path.join(suite.home, "bots", spec.botId, "network.json"), "utf8")) as { ip: string })
        .ip,
    reopen: () => suite.open(),
  });

  it("TCP channel: the server dials an isolated bot's agent, whose replies pass its rules", async () => {
    const tcp = await suite.open({ agentChannel: "tcp" });
    const [spec, client] = await suite.started({ network: "isolated" }, tcp);
    assert.match((await tcp.agentEndpoint(spec.id))!.address, /^10\.88\.\d+\.\d+:9090$/);
    assert.equal((await client.info()).botId, spec.botId);
    assert.equal(await probe(client, await hostAddress(), shared.listener.port), "blocked");
  });
});
