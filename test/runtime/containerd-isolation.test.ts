/** The containerd runtime's `isolated` network: what an isolated bot cannot reach, and what a `host` bot can. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import type { ContainerdRuntime } from "../../packages/server/src/runtime/containerd/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { tableName } from "../../packages/server/src/runtime/host-firewall.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { type ContainerdFixture, containerdUnavailable, openContainerd } from "./containerd-support.js";
import {
  hostAddress,
  hostListener,
  nftTable,
  type OutsideNamespace,
  outsideNamespace,
  probe,
} from "./docker-isolation-support.js";
import { botSpec, Janitor, waitForAgent } from "./support.js";

const unavailable = await containerdUnavailable();
const GATEWAY = "10.88.0.1";
const SUBNET = "10.88.0.0/16";
// The bridge is the machine's: other suites' bots share it and its table, which is left in place.
const TABLE = tableName("containerd", "botbox0");

describe("containerd runtime: isolated network", { skip: unavailable }, () => {
  let fixture: ContainerdFixture;
  let runtime: ContainerdRuntime;
  let outside: OutsideNamespace;
  let listener: { port: number; close(): void };
  const janitor = new Janitor();
  const started = async (
    overrides: Partial<ContainerSpec>,
    on: ContainerdRuntime = runtime,
  ): Promise<[ContainerSpec, AgentClient]> => {
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, ...overrides });
    janitor.track(on, spec.id);
    await on.createContainer(spec);
    await on.startTask(spec.id);
    return [spec, janitor.client(await waitForAgent(on, spec.id))];
  };
  const ipOf = async (spec: ContainerSpec) =>
    (JSON.parse(await readFile(path.join(fixture.home, "bots", spec.botId, "network.json"), "utf8")) as { ip: string })
      .ip;

  before(async () => {
    fixture = await openContainerd();
    runtime = fixture.runtime;
    outside = await outsideNamespace();
    listener = await hostListener();
  });
  after(async () => {
    await janitor.cleanUp();
    listener?.close();
    await outside?.close();
    await fixture.close();
  });

  it("an isolated bot cannot connect to the host's address or its bridge gateway; a host bot can", async () => {
    const host = await hostAddress();
    const [, isolated] = await started({ network: "isolated" });
    const [, open] = await started({ network: "host" });
    for (const address of [host, GATEWAY]) {
      assert.equal(await probe(open, address, listener.port), "hello", `host bot to ${address}`);
      assert.equal(await probe(isolated, address, listener.port), "blocked", `isolated bot to ${address}`);
    }
  });

  it("an isolated bot reaches the internet but not a private range, unless allowed; a host bot reaches both", async () => {
    const { privateAddress: inside, publicAddress: internet, port } = outside;
    const [, open] = await started({ network: "host" });
    const [, isolated] = await started({ network: "isolated" });
    assert.equal(await probe(open, inside, port), "hello");
    assert.equal(await probe(isolated, internet, port), "hello");
    assert.equal(await probe(isolated, inside, port), "blocked");
    const [, allowed] = await started({ network: "isolated", egress: { allow: [inside], deny: [] } });
    assert.equal(await probe(allowed, inside, port), "hello", "allowed by address");
    assert.equal(await probe(allowed, internet, port), "blocked", "an allow-list allows nothing else");
  });

  it("deny wins over allow, allow [] allows nothing, and a denied internet address is refused", async () => {
    const { privateAddress: inside, publicAddress: internet, port } = outside;
    const subnet = inside.replace(/\.\d+$/, ".0/24");
    const [, denied] = await started({ network: "isolated", egress: { allow: [subnet], deny: [`${inside}/32`] } });
    assert.equal(await probe(denied, inside, port), "blocked");
    const [, nothing] = await started({ network: "isolated", egress: { allow: [], deny: [] } });
    assert.equal(await probe(nothing, internet, port), "blocked");
    const [, noInternet] = await started({ network: "isolated", egress: { deny: [internet] } });
    assert.equal(await probe(noInternet, internet, port), "blocked");
  });

  it("an isolated bot cannot reach another bot's listener, even with the bridge's subnet allowed", async () => {
    const [serverSpec, server] = await started({ network: "host" });
    await server.exec("nohup python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & sleep 1");
    assert.equal(
      (await server.exec("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/")).stdout.trim(),
      "200",
    );
    const serverIp = await ipOf(serverSpec);
    const [, isolated] = await started({ network: "isolated" });
    const [, allowed] = await started({ network: "isolated", egress: { allow: [SUBNET], deny: [] } });
    assert.equal(await probe(isolated, serverIp, 8000), "blocked");
    assert.equal(await probe(allowed, serverIp, 8000), "blocked");
  });

  it("TCP channel: the server dials an isolated bot's agent, whose replies pass its rules", async () => {
    const tcp = await fixture.open({ agentChannel: "tcp" });
    const [spec, client] = await started({ network: "isolated" }, tcp);
    assert.match((await tcp.agentEndpoint(spec.id))!.address, /^10\.88\.\d+\.\d+:9090$/);
    assert.equal((await client.info()).botId, spec.botId);
    assert.equal(await probe(client, await hostAddress(), listener.port), "blocked");
  });

  it("the rules are in before the task starts, are rebuilt by a new instance after a flush, and leave with the bot", async () => {
    const host = await hostAddress();
    const [spec, client] = await started({ network: "isolated" });
    const ip = await ipOf(spec);
    assert.match((await nftTable(TABLE)) ?? "", new RegExp(`${ip.replace(/\./g, "\\.")} : jump`));
    execFileSync("nft", ["delete", "table", "inet", TABLE]);
    // A server restart: the new instance lists its bots, and the table comes back.
    const later = await fixture.open();
    await later.listContainers();
    const deadline = Date.now() + 5_000;
    while (!(await nftTable(TABLE))?.includes(`${ip} :`) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await probe(client, host, listener.port), "blocked");
    await later.stopTask(spec.id, { timeoutMs: 2_000 });
    assert.ok(!(await nftTable(TABLE))?.includes(`${ip} :`), "no element for a stopped bot");
    await later.deleteContainer(spec.id);
  });

  it("doctor says whether isolated networking can be enforced", async () => {
    const check = (await runtime.doctor()).find((entry) => entry.name === "isolated network");
    assert.ok(check?.ok, check?.detail);
    assert.match(check.detail, /nftables v[\d.]+.*botbox_containerd_/);
  });
});
