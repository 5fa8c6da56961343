/**
 * Docker bots run with no-new-privileges and without the capabilities
 * hardening.ts drops; a control container of the same image without them
 * shows every attempt succeeding, so these tests can fail. apt-get still
 * installs a package as root in a hardened bot.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import Docker from "dockerode";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { DEFAULT_AGENT_IMAGE, DockerRuntime } from "../../packages/server/src/runtime/docker/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { APT_PROBE, inControlContainer, PRIVILEGE_PROBE } from "./docker-hardening-support.js";
import { type DockerFixture, dockerUnavailable, openDocker } from "./docker-support.js";
import { botSpec, Janitor, waitForAgent } from "./support.js";

const unavailable = await dockerUnavailable();
const BRIDGE = `botbox-hardening-${process.pid}`;

describe("docker runtime: hardening", { skip: unavailable }, () => {
  let fixture: DockerFixture;
  let runtime: DockerRuntime;
  const janitor = new Janitor();
  const started = async (overrides: Partial<ContainerSpec> = {}): Promise<AgentClient> => {
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, ...overrides });
    janitor.track(runtime, spec.id);
    await runtime.createContainer(spec);
    await runtime.startTask(spec.id);
    return janitor.client(await waitForAgent(runtime, spec.id));
  };

  before(async () => {
    fixture = await openDocker();
    runtime = new DockerRuntime({ home: fixture.home, bridgeNetwork: BRIDGE });
  });
  after(async () => {
    await janitor.cleanUp();
    await new Docker({ socketPath: process.env.DOCKER_HOST!.replace(/^unix:\/\//, "") })
      .getNetwork(BRIDGE)
      .remove()
      .catch(() => {});
    await fixture.close();
  });

  for (const network of ["none", "isolated"] as const) {
    it(`a ${network} bot gains nothing from a setuid binary and cannot mknod, chroot or open raw sockets`, async () => {
      const client = await started({ network });
      assert.equal(
        (await client.exec(PRIVILEGE_PROBE)).stdout.trim(),
        "euid=65534 mknod=denied chroot=denied raw=denied",
      );
    });
  }

  it("the same attempts succeed in a container of the same image without the hardening", async () => {
    assert.equal(await inControlContainer(DEFAULT_AGENT_IMAGE, PRIVILEGE_PROBE), "euid=0 mknod=ok chroot=ok raw=ok");
  });

  it("root in a hardened bot still installs a package with apt-get", async () => {
    const client = await started();
    const result = await client.exec(APT_PROBE);
    assert.equal(result.stdout.trim().split("\n").at(-1), "installed", result.stdout + result.stderr);
  });
});
