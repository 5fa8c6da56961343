/** The Docker runtime's `isolated` network: what an isolated bot cannot reach, and what a `host` bot can. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";

import Docker from "dockerode";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { DEFAULT_AGENT_IMAGE, DockerRuntime } from "../../packages/server/src/runtime/docker/index.js";
import { tableName } from "../../packages/server/src/runtime/host-firewall.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import {
  hostAddress,
  hostListener,
  nftTable,
  type OutsideNamespace,
  outsideNamespace,
  probe,
} from "./docker-isolation-support.js";
import { type DockerFixture, dockerUnavailable, openDocker } from "./docker-support.js";
import { botSpec, Janitor, waitForAgent } from "./support.js";

const unavailable =
  (await dockerUnavailable()) ?? (process.getuid?.() !== 0 ? "the network tests need root" : undefined);
const BRIDGE = `botbox-isolation-${process.pid}`;
const dockerClient = () => new Docker({ socketPath: process.env.DOCKER_HOST!.replace(/^unix:\/\//, "") });

describe("docker runtime: isolated network", { skip: unavailable }, () => {
  let fixture: DockerFixture;
  let runtime: DockerRuntime;
  let outside: OutsideNamespace;
  let listener: { port: number; close(): void };
  const janitor = new Janitor();
  const started = async (overrides: Partial<ContainerSpec>): Promise<[ContainerSpec, AgentClient]> => {
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, ...overrides });
    janitor.track(runtime, spec.id);
    await runtime.createContainer(spec);
    await runtime.startTask(spec.id);
    return [spec, janitor.client(await waitForAgent(runtime, spec.id))];
  };
  const bridgeOf = async () => {
    const network = (await dockerClient().getNetwork(BRIDGE).inspect()) as {
      Id: string;
      IPAM: { Config: { Gateway: string; Subnet: string }[] };
    };
    return { iface: `br-${network.Id.slice(0, 12)}`, ...network.IPAM.Config[0]! };
  };
  const ipOf = async (spec: ContainerSpec) =>
    (await dockerClient().getContainer(spec.id).inspect()).NetworkSettings.Networks[BRIDGE]!.IPAddress;

  before(async () => {
    fixture = await openDocker();
    runtime = new DockerRuntime({ home: fixture.home, bridgeNetwork: BRIDGE });
    outside = await outsideNamespace();
    listener = await hostListener();
  });
  after(async () => {
    await janitor.cleanUp();
    const iface = await bridgeOf().then(
      (bridge) => bridge.iface,
      () => undefined,
    );
    await dockerClient()
      .getNetwork(BRIDGE)
      .remove()
      .catch(() => {});
    await runtime?.close();
    listener?.close();
    await outside?.close();
    await fixture.close();
    if (iface && (await nftTable(tableName("docker", iface))))
      execFileSync("nft", ["delete", "table", "inet", tableName("docker", iface)]);
  });

  it("an isolated bot cannot connect to the host's address or its bridge gateway; a host bot can", async () => {
    const host = await hostAddress();
    const [, isolated] = await started({ network: "isolated" });
    const [, open] = await started({ network: "host" });
    const { Gateway: gateway } = await bridgeOf();
    for (const address of [host, gateway]) {
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
    const { Subnet: subnet } = await bridgeOf();
    const [serverSpec, server] = await started({ network: "host" });
    await server.exec("nohup python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & sleep 1");
    const serverIp = await ipOf(serverSpec);
    assert.equal(
      (await server.exec("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/")).stdout.trim(),
      "200",
    );
    const [, isolated] = await started({ network: "isolated" });
    const [, allowed] = await started({ network: "isolated", egress: { allow: [subnet], deny: [] } });
    assert.equal(await probe(isolated, serverIp, 8000), "blocked");
    assert.equal(await probe(allowed, serverIp, 8000), "blocked");
  });

  it("an isolated bot has no raw sockets to send from another address, but ping sockets work", async () => {
    const [, client] = await started({ network: "isolated" });
    const script =
      'import socket\ntry:\n socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n print("raw")\nexcept PermissionError:\n print("refused")\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\nprint("icmp")';
    assert.equal((await client.exec(`python3 -c '${script}'`)).stdout.trim(), "refused\nicmp");
  });

  it("the rules outlive the runtime instance, are rebuilt by a new one after a flush, and leave with the bot", async () => {
    const host = await hostAddress();
    const [spec, client] = await started({ network: "isolated" });
    const ip = await ipOf(spec);
    const table = tableName("docker", (await bridgeOf()).iface);
    assert.match((await nftTable(table)) ?? "", new RegExp(`${ip.replace(/\./g, "\\.")} : jump`));
    execFileSync("nft", ["delete", "table", "inet", table]);
    // A server restart: the new instance lists its bots, and the table comes back.
    const later = new DockerRuntime({ home: fixture.home, bridgeNetwork: BRIDGE });
    try {
      await later.listContainers();
      const deadline = Date.now() + 5_000;
      while (!(await nftTable(table))?.includes(ip) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await probe(client, host, listener.port), "blocked");
      await later.stopTask(spec.id, { timeoutMs: 2_000 });
      assert.ok(!(await nftTable(table))?.includes(`${ip} :`), "no element for a stopped bot");
      await later.deleteContainer(spec.id);
      assert.ok(!(await nftTable(table))?.includes(`${ip} :`));
    } finally {
      await later.close();
    }
  });

  it("doctor says whether isolated networking can be enforced", async () => {
    const check = (await runtime.doctor()).find((entry) => entry.name === "isolated network");
    assert.ok(check?.ok, check?.detail);
    assert.match(check.detail, /nftables v[\d.]+.*botbox_docker_/);
  });
});
