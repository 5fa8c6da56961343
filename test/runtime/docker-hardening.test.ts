/**
 * Docker bots run with no-new-privileges and without the capabilities
 * hardening.ts drops; a control container of the same image without them
 * shows every attempt succeeding, so these tests can fail. apt-get still
 * installs a package as root in a hardened bot.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { APT_PROBE, inControlContainer, PRIVILEGE_PROBE } from "./docker-hardening-support.js";
import { dockerSuite, dockerUnavailable } from "./docker-support.js";

const unavailable = await dockerUnavailable();
const BRIDGE = `botbox-hardening-${process.pid}`;

describe("docker runtime: hardening", { skip: unavailable }, () => {
  const suite = dockerSuite({ bridge: BRIDGE });
  const started = async (overrides: Partial<ContainerSpec> = {}) => (await suite.started(overrides))[1];

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
