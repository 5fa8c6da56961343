/** What the Docker runtime does beyond the shared contract. */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";

import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import { dockerClient, dockerSuite, dockerUnavailable } from "./docker-support.js";
import { botSpec, buildImageTar, waitForAgent } from "./support.js";

const unavailable = await dockerUnavailable();
const BRIDGE = `botbox-test-${process.pid}`;

describe("docker runtime", { skip: unavailable }, () => {
  const suite = dockerSuite({ bridge: BRIDGE });
  const { janitor, sh } = suite;
  const started = suite.started;

  it("agrees on one bots' network when two servers made it at once, and its bots start", async () => {
    // Docker's CheckDuplicate is not atomic, so two creates at once can both
    // succeed; without it they always do, which stands in for the race.
    const name = `${BRIDGE}-twice`;
    const client = dockerClient();
    const made = [];
    for (let i = 0; i < 2; i++) made.push(await client.createNetwork({ Name: name, CheckDuplicate: false }));
    const runtime = suite.another({ bridgeNetwork: name });
    try {
      await assert.rejects(client.getNetwork(name).inspect(), /ambiguous/);
      const [, agent] = await started({ network: "isolated" }, runtime);
      assert.ok(agent, "the bot on the shared name started");
      const left = (await client.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
      assert.equal(left.length, 1);
      assert.equal(left[0]!.Id, made[0]!.id, "the oldest one is kept");
    } finally {
      await janitor.cleanUp();
      await runtime.close();
      for (const network of made) await network.remove().catch(() => undefined);
    }
  });

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

  it("importing a tar under a ref leaves the names the tar carries where they were", async () => {
    // buildImageTar's manifest names its image test/image:1; here that name already belongs to the agent image.
    const carried = "test/image:1";
    const ref = `botbox-test/imported-${process.pid}:1`;
    const agentImage = (await dockerClient().getImage(DEFAULT_AGENT_IMAGE).inspect()).Id;
    await dockerClient().getImage(agentImage).tag({ repo: "test/image", tag: "1" });
    try {
      const tar = await buildImageTar(path.join(suite.home, "carried-name"), [{ "carried.txt": "x\n" }]);
      const imported = await suite.runtime.importImage(ref, tar);
      assert.notEqual(imported.id, agentImage);
      assert.equal((await dockerClient().getImage(carried).inspect()).Id, agentImage, `${carried} was moved`);
      await suite.runtime.deleteImage(ref);
      // A name nothing had before the import is not left behind.
      await dockerClient().getImage(carried).remove({ noprune: true });
      await suite.runtime.importImage(ref, tar);
      await assert.rejects(dockerClient().getImage(carried).inspect(), /no such image/i);
    } finally {
      await suite.runtime.deleteImage(ref).catch(() => undefined);
      await dockerClient()
        .getImage(carried)
        .remove({ noprune: true })
        .catch(() => undefined);
    }
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
});
