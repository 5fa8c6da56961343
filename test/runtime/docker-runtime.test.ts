/** What the Docker runtime does beyond the shared contract. */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";

import Docker from "dockerode";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import { BOT_LABEL } from "../../packages/server/src/runtime/runtime.js";
import { dockerSuite, dockerUnavailable } from "./docker-support.js";
import { botSpec, buildImageTar, waitForAgent } from "./support.js";

const unavailable = await dockerUnavailable();
const BRIDGE = `botbox-test-${process.pid}`;
const dockerClient = () => new Docker({ socketPath: process.env.DOCKER_HOST!.replace(/^unix:\/\//, "") });

describe("docker runtime", { skip: unavailable }, () => {
  const suite = dockerSuite({ bridge: BRIDGE });
  const { janitor, sh } = suite;
  const started = suite.started;

  it("loads a known image tar the first time its ref is needed, and names the build script when the tar is missing", async () => {
    const ref = `botbox-test/known-${process.pid}:1`;
    const tar = await buildImageTar(path.join(suite.home, "known-image"), [{ "hello.txt": "hi\n" }]);
    const known = suite.another({ knownImages: { [ref]: tar } });
    try {
      assert.equal((await known.ensureImage(ref)).ref, ref);
      assert.ok((await suite.runtime.listImages()).some((image) => image.ref === ref));
      const missing = suite.another({ knownImages: { "botbox-test/absent:1": `${tar}.absent` } });
      await assert.rejects(missing.ensureImage("botbox-test/absent:1"), /build-agent-image\.sh/);
      await missing.close();
    } finally {
      await suite.runtime.deleteImage(ref).catch(() => undefined);
      await known.close();
    }
  });

  it("a new runtime instance re-attaches to a running container by its labels", async () => {
    const [spec, client] = await started();
    await client.writeFile("/data/before.txt", "written before the restart");
    const later = suite.another();
    const listed = await later.listContainers({ [BOT_LABEL]: spec.botId });
    assert.deepEqual(
      listed.map((info) => info.id),
      [spec.id],
    );
    assert.equal((await later.taskInfo(spec.id)).state, "running");
    const again = janitor.client(await waitForAgent(later, spec.id));
    assert.equal((await again.info()).botId, spec.botId);
    assert.equal((await again.readFile("/data/before.txt")).content, "     1\twritten before the restart\n");
    assert.equal((await later.agentEndpoint(spec.id))?.token, spec.agentToken);
    await later.close();
  });

  it("a snapshot keeps /data and the container layer, and restore brings both back", async () => {
    const [spec, client] = await started();
    await client.writeFile("/data/notes.txt", "v1");
    await sh(client, "echo layer-v1 > /root/layer.txt");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.commitSnapshot(spec.id, "first");
    await suite.runtime.startTask(spec.id);
    let agent = janitor.client(await waitForAgent(suite.runtime, spec.id));
    await agent.writeFile("/data/notes.txt", "v2");
    await sh(agent, "echo layer-v2 > /root/layer.txt; touch /data/extra");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.restoreSnapshot(spec.id, "first");
    await suite.runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(suite.runtime, spec.id));
    assert.equal(
      await sh(agent, "cat /data/notes.txt /root/layer.txt; ls /data/extra 2>&1 || true"),
      "v1layer-v1\nls: cannot access '/data/extra': No such file or directory",
    );
  });

  it("a chain of snapshots past maxSnapshotLayers is flattened: one layer, same files and config, no agent token baked in", async () => {
    const baseLayers = (await dockerClient().getImage(DEFAULT_AGENT_IMAGE).inspect()).RootFS.Layers?.length ?? 0;
    const shallow = suite.another({ maxSnapshotLayers: baseLayers + 2 });
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE });
    janitor.track(shallow, spec.id);
    await shallow.createContainer(spec);
    const layerCounts: number[] = [];
    for (let round = 1; round <= 4; round++) {
      await shallow.startTask(spec.id);
      const agent = janitor.client(await waitForAgent(shallow, spec.id));
      await sh(agent, `echo round-${round} >> /root/rounds.txt; echo data-${round} > /data/round.txt`);
      await shallow.stopTask(spec.id);
      await shallow.commitSnapshot(spec.id, `s${round}`);
      const image = await dockerClient()
        .getImage((await dockerClient().getContainer(spec.id).inspect()).Image)
        .inspect();
      layerCounts.push(image.RootFS.Layers?.length ?? 0);
      assert.ok(
        !(image.Config.Env ?? []).some((entry) => entry.includes(spec.agentToken)),
        "the token is in the image",
      );
    }
    assert.ok(
      layerCounts.every((count) => count <= baseLayers + 2),
      `layers ${JSON.stringify(layerCounts)}`,
    );
    assert.ok(layerCounts.includes(1), `never flattened: ${JSON.stringify(layerCounts)}`);
    await shallow.restoreSnapshot(spec.id, "s4");
    await shallow.startTask(spec.id);
    const agent = janitor.client(await waitForAgent(shallow, spec.id));
    assert.equal((await agent.info()).botId, spec.botId);
    assert.equal(
      await sh(agent, "cat /proc/1/comm; cat /root/rounds.txt /data/round.txt"),
      "tini\nround-1\nround-2\nround-3\nround-4\ndata-4",
    );
    assert.deepEqual(
      (await shallow.listSnapshots(spec.id)).map((snapshot) => snapshot.name),
      ["s1", "s2", "s3", "s4"],
    );
    await shallow.close();
  });

  it("tini is PID 1, and on each start the image's agent replaces a different copy in /app (the original kept running its old copy)", async () => {
    const [spec, client] = await started();
    assert.equal(await sh(client, "cat /proc/1/comm"), "tini");
    const same = "cmp -s /opt/botbox/agent.js /app/botbox/agent.js && echo same || echo differs";
    assert.equal(await sh(client, same), "same");
    await sh(client, "echo '// an older agent' >> /app/botbox/agent.js");
    assert.equal(await sh(client, same), "differs");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.startTask(spec.id);
    const again = janitor.client(await waitForAgent(suite.runtime, spec.id));
    assert.equal(await sh(again, same), "same");
  });

  it("a snapshot can be deleted while its container runs on it, and nothing is left after the delete", async () => {
    const [spec] = await started();
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.commitSnapshot(spec.id, "base");
    await suite.runtime.startTask(spec.id);
    await waitForAgent(suite.runtime, spec.id).then((agent) => janitor.client(agent));
    await suite.runtime.deleteSnapshot(spec.id, "base");
    assert.deepEqual(await suite.runtime.listSnapshots(spec.id), []);
    const imageId = (await dockerClient().getContainer(spec.id).inspect()).Image;
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.deleteContainer(spec.id);
    await assert.rejects(dockerClient().getImage(imageId).inspect(), /no such image/i);
  });

  it("upgradeContainer moves a running bot onto a rebuilt image and keeps /data (the original deleted it)", async () => {
    const docker = dockerClient();
    const ref = `botbox/test-upgrade:${process.pid}`;
    const [repo, tag] = ref.split(":") as [string, string];
    await docker.getImage(DEFAULT_AGENT_IMAGE).tag({ repo, tag });
    const scratch = await docker.createContainer({ Image: DEFAULT_AGENT_IMAGE });
    try {
      const [spec, client] = await started({ image: ref });
      await client.writeFile("/data/kept.txt", "across the rebuild");
      assert.equal(await suite.runtime.upgradeContainer(spec.id), false, "already on the image");
      // A "rebuilt" image under the same ref: another config, so another id.
      const rebuilt = await scratch.commit({ repo, tag, Labels: { rebuilt: "yes" } });
      assert.equal(await suite.runtime.upgradeContainer(spec.id), true);
      assert.equal((await docker.getContainer(spec.id).inspect()).Image, (rebuilt as { Id: string }).Id);
      assert.equal((await suite.runtime.taskInfo(spec.id)).state, "running");
      const again = janitor.client(await waitForAgent(suite.runtime, spec.id));
      assert.equal((await again.readFile("/data/kept.txt")).content, "     1\tacross the rebuild\n");
      await suite.runtime.stopTask(spec.id);
      await suite.runtime.deleteContainer(spec.id);
    } finally {
      await scratch.remove().catch(() => {});
      await docker
        .getImage(ref)
        .remove()
        .catch(() => {});
    }
  });

  it("memory, pids and CPU limits reach the container's cgroups", async () => {
    const [, client] = await started({ limits: { memoryBytes: 256 * 2 ** 20, pids: 64, cpus: 0.5 } });
    const read = (v2: string, v1: string) =>
      sh(client, `cat /sys/fs/cgroup/${v2} 2>/dev/null || cat /sys/fs/cgroup/${v1}`);
    assert.equal(await read("memory.max", "memory/memory.limit_in_bytes"), String(256 * 2 ** 20));
    assert.equal(await read("pids.max", "pids/pids.max"), "64");
    const cpu = await read("cpu.max", "cpu/cpu.cfs_quota_us");
    assert.ok(cpu === "50000" || cpu.startsWith("50000 "), `cpu quota ${cpu}`);
  });

  it("two bots see only their own socket and cannot reach each other's ports", async () => {
    const [, first] = await started({ network: "host" });
    const [, second] = await started({ network: "host" });
    assert.equal(await sh(first, "ls /run/botbox"), "agent.sock");
    const ipOf = (client: AgentClient) =>
      sh(
        client,
        "python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((\"10.255.255.255\", 1)); print(s.getsockname()[0])'",
      );
    const secondIp = await ipOf(second);
    assert.match(secondIp, /^\d+\.\d+\.\d+\.\d+$/);
    await sh(second, "nohup python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & sleep 1");
    assert.equal(await sh(second, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/"), "200");
    assert.equal(
      await sh(first, `curl -s -m 3 -o /dev/null http://${secondIp}:8000/ && echo reached || echo blocked`),
      "blocked",
    );
  });
});
