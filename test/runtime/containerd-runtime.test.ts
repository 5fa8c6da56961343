/** What the containerd runtime does beyond the shared contract. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { ConflictError, UnauthenticatedError } from "../../packages/server/src/errors.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { AGENT_IMAGE_TAR } from "../support/runtimes.js";
import { containerdSuite, containerdUnavailable } from "./containerd-support.js";
import { agentImageTarAs, imageTarVariant, tinyImageTar } from "./image-tars.js";
import { addressOf } from "./isolation-support.js";
import { botSpec, waitForAgent } from "./support.js";

const unavailable = await containerdUnavailable();
const GATEWAY = "10.88.0.1";
const IPAM = "/var/lib/cni/networks/botbox";

describe("containerd runtime", { skip: unavailable }, () => {
  const suite = containerdSuite();
  const { janitor, sh, started } = suite;
  /** A stopped bot whose `file` held `contents[0]` when snapshot `name` was taken, and holds `contents[1]` now. */
  const changedSince = async (name: string, file: string, contents: [string, string]) => {
    const [spec, client] = await started();
    await sh(client, `echo ${contents[0]} > ${file}`);
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.commitSnapshot(spec.id, name);
    await sh(await suite.startedAgain(spec), `echo ${contents[1]} > ${file}`);
    await suite.runtime.stopTask(spec.id);
    return spec;
  };

  it("imports the agent image's docker-archive tar under another ref, found again by its normalised ref", async () => {
    const ref = `botbox-test/agent-${process.pid}:1`;
    try {
      const imported = await suite.runtime.importImage(ref, AGENT_IMAGE_TAR);
      assert.equal(imported.ref, ref);
      assert.equal(
        imported.id,
        (await suite.runtime.ensureImage(DEFAULT_AGENT_IMAGE)).id,
        "same content, same manifest",
      );
      assert.equal((await suite.runtime.ensureImage(`docker.io/${ref}`)).id, imported.id, "a /-suffix match");
      assert.ok((await suite.runtime.listImages()).some((image) => image.ref === ref));
      const missing = await suite.open({ knownImages: { "botbox-test/absent:1": `${AGENT_IMAGE_TAR}.absent` } });
      await assert.rejects(missing.ensureImage("botbox-test/absent:1"), /build-agent-image\.sh/);
    } finally {
      await suite.runtime.deleteImage(ref).catch(() => undefined);
    }
    assert.ok((await suite.runtime.listImages()).every((image) => image.ref !== ref));
  });

  it("an image User given as a name runs the agent as that user, owning its socket folder and /data", async () => {
    const ref = `botbox-test/agent-nobody-${process.pid}:1`;
    const image = await agentImageTarAs("nobody");
    try {
      await suite.runtime.importImage(ref, image.tar);
      const [spec, client] = await started({ image: ref });
      assert.equal(await sh(client, "id -u; id -g"), "65534\n65534");
      await client.writeFile("/data/mine.txt", "written by nobody");
      assert.equal(await sh(client, "stat -c %U /data/mine.txt"), "nobody");
      await suite.runtime.stopTask(spec.id);
      await suite.runtime.deleteContainer(spec.id);
    } finally {
      await image.dispose();
      await suite.runtime.deleteImage(ref).catch(() => undefined);
    }
  });

  it("a snapshot with a child is hidden by delete, not removed from under it, and the layer on it keeps working", async () => {
    const spec = await changedSince("first", "/root/layer.txt", ["layer-v1", "layer-v2"]);
    await suite.runtime.commitSnapshot(spec.id, "second");
    await suite.runtime.restoreSnapshot(spec.id, "first");
    // "first" has a snapshot and a writable layer on it: it is hidden, not removed under them.
    await suite.runtime.deleteSnapshot(spec.id, "first");
    assert.deepEqual(
      (await suite.runtime.listSnapshots(spec.id)).map((snapshot) => snapshot.name),
      ["second"],
    );
    const again = await suite.startedAgain(spec);
    assert.equal(await sh(again, "cat /root/layer.txt"), "layer-v1");
  });

  it("recreating a container never deletes its writable layer: the same image reuses it, a snapshot start recovers it first", async () => {
    const spec = await changedSince("base", "/root/package.txt", ["installed", "after-base"]);
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    // Same image: the layer carries on, on the snapshot it sat on.
    await suite.runtime.createContainer(spec);
    assert.equal((await suite.runtime.getContainer(spec.id))?.parentSnapshot, "base");
    let agent = await suite.startedAgain(spec);
    assert.equal(await sh(agent, "cat /root/package.txt"), "after-base");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    // From a snapshot: the orphaned layer is committed as recovered-<time> first.
    await suite.runtime.createContainer({ ...spec, fromSnapshot: "base" });
    const recovered = (await suite.runtime.listSnapshots(spec.id)).find((snapshot) =>
      snapshot.name.startsWith("recovered-"),
    );
    assert.ok(recovered, "the orphaned layer was kept as a snapshot");
    agent = await suite.startedAgain(spec);
    assert.equal(await sh(agent, "cat /root/package.txt"), "installed");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.restoreSnapshot(spec.id, recovered.name);
    agent = await suite.startedAgain(spec);
    assert.equal(await sh(agent, "cat /root/package.txt"), "after-base");
  });

  it("upgradeContainer after a known image tar is rebuilt (its key changed): the old writable layer is recovered as a snapshot (the original deleted it)", async () => {
    const ref = `botbox-test/agent-upgrade-${process.pid}:1`;
    // A known image tar as build-agent-image.sh leaves it: the tar and its inputs' key beside it.
    const folder = await mkdtemp(path.join(tmpdir(), "botbox-upgrade-"));
    const known = path.join(folder, "botbox-agent.tar");
    await symlink(AGENT_IMAGE_TAR, known);
    await writeFile(`${known}.key`, "first\n");
    const rebuilt = await imageTarVariant(AGENT_IMAGE_TAR, { files: { "opt/botbox/REBUILT": "yes\n" } });
    const upgrader = await suite.open({ knownImages: { [ref]: known } });
    try {
      const [spec, client] = await started({ image: ref }, upgrader);
      await sh(client, "echo kept > /data/kept.txt; echo old-layer > /root/old.txt");
      // The rebuild: another tar and key under the same path.
      await rm(known);
      await symlink(rebuilt.tar, known);
      await writeFile(`${known}.key`, "second\n");
      assert.equal(await upgrader.upgradeContainer(spec.id), true);
      let agent = janitor.client(await waitForAgent(upgrader, spec.id));
      assert.equal(await sh(agent, "cat /opt/botbox/REBUILT"), "yes", "the root filesystem is the new image's");
      assert.equal(await sh(agent, "cat /root/old.txt 2>/dev/null || echo fresh"), "fresh");
      // The old writable layer was committed, not deleted.
      const recovered = (await upgrader.listSnapshots(spec.id)).find((snapshot) =>
        snapshot.name.startsWith("recovered-"),
      );
      assert.ok(recovered, "the old writable layer was kept as a snapshot");
      await upgrader.stopTask(spec.id);
      await upgrader.restoreSnapshot(spec.id, recovered.name);
      await upgrader.startTask(spec.id);
      agent = janitor.client(await waitForAgent(upgrader, spec.id));
      assert.equal(await sh(agent, "cat /root/old.txt"), "old-layer");
      assert.equal(await sh(agent, "cat /data/kept.txt"), "kept");
      await upgrader.stopTask(spec.id);
      await upgrader.deleteContainer(spec.id);
    } finally {
      await upgrader.deleteImage(ref).catch(() => undefined);
      await rebuilt.dispose();
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("CNI: a bot gets an address on the bridge and reaches a listener on its gateway", async () => {
    const listener = net.createServer((socket) => socket.end("hello from the host\n"));
    await new Promise<void>((resolve) => listener.listen(0, "0.0.0.0", resolve));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      const [, client] = await started({ network: "host" });
      assert.match(await addressOf(client), /^10\.88\./);
      assert.equal(
        await sh(client, `curl -s -m 5 telnet://${GATEWAY}:${port} </dev/null || true`),
        "hello from the host",
      );
    } finally {
      listener.close();
    }
  });

  it("CNI: stopping a bot deletes its network, leaving no IP allocated and no namespace", async () => {
    const [spec, client] = await started({ network: "host" });
    const ip = await addressOf(client);
    assert.ok(existsSync(path.join(IPAM, ip)), `host-local holds ${ip}`);
    assert.ok(existsSync(`/run/netns/botbox-${spec.botId}`));
    await suite.runtime.stopTask(spec.id);
    assert.ok(!existsSync(path.join(IPAM, ip)), `${ip} was released`);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
    assert.ok(!(await readdir(IPAM)).some((name) => name === ip));
    const again = await suite.startedAgain(spec);
    assert.match(await addressOf(again), /^10\.88\./);
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.deleteContainer(spec.id);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
  });

  it("CNI: a bot whose network record was lost (the server died between ADD and writing it) still frees its address on stop; the list has no portmap", async () => {
    const [spec, client] = await started({ network: "host" });
    const ip = await addressOf(client);
    assert.ok(existsSync(path.join(IPAM, ip)));
    await rm(path.join(suite.home, "bots", spec.botId, "network.json"));
    await suite.runtime.stopTask(spec.id);
    assert.ok(!existsSync(path.join(IPAM, ip)), `${ip} was released by a DEL by container id`);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
    const list = JSON.parse(await readFile(path.join(suite.home, "cni", "10-botbox.conflist"), "utf8")) as {
      plugins: { type: string }[];
    };
    assert.deepEqual(
      list.plugins.map((plugin) => plugin.type),
      ["bridge"],
      "nothing sets port mappings: no portmap",
    );
  });

  it("a known image tar is imported for its normalised ref too, and an image in use under another spelling is not deleted", async () => {
    const name = `botbox-test/known-${process.pid}:1`;
    const tar = await tinyImageTar();
    const known = await suite.open({ knownImages: { [name]: tar.path } });
    try {
      const imported = await known.ensureImage(`docker.io/${name}`);
      assert.ok(imported.id.startsWith("sha256:"));
      const spec = botSpec({ image: `docker.io/${name}` });
      janitor.track(known, spec.id);
      await known.createContainer(spec);
      await assert.rejects(known.deleteImage(name), ConflictError);
      await known.deleteContainer(spec.id);
    } finally {
      await known.deleteImage(name).catch(() => undefined);
      await tar.dispose();
    }
  });

  it("TCP channel: the agent of an image built for the original answers on :9090 of the bot's address, with its token only", async () => {
    const tcp = await suite.open({ agentChannel: "tcp" });
    await assert.rejects(
      tcp.createContainer(botSpec({ image: DEFAULT_AGENT_IMAGE, network: "none" })),
      /tcp agent channel/,
    );
    const [spec, client] = await started({ network: "host" }, tcp);
    const endpoint = (await tcp.agentEndpoint(spec.id))!;
    assert.match(endpoint.address, /^10\.88\.\d+\.\d+:9090$/);
    assert.equal(endpoint.token, spec.agentToken);
    assert.equal((await client.info()).botId, spec.botId);
    const intruder = new AgentClient({ address: endpoint.address, token: "not-the-token" });
    try {
      await assert.rejects(intruder.info(), UnauthenticatedError);
    } finally {
      intruder.close();
    }
  });
});
