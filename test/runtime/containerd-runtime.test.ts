/** What the containerd runtime does beyond the shared contract. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { AgentClient } from "../../packages/server/src/client/index.js";
import { ConflictError, UnauthenticatedError } from "../../packages/server/src/errors.js";
import type { ContainerdRuntime } from "../../packages/server/src/runtime/containerd/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { BOT_LABEL, type ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import {
  AGENT_IMAGE_TAR,
  agentImageTarAs,
  agentImageVariant,
  type ContainerdFixture,
  containerdUnavailable,
  openContainerd,
  tinyImageTar,
} from "./containerd-support.js";
import { botSpec, Janitor, waitForAgent } from "./support.js";

const unavailable = await containerdUnavailable();
const GATEWAY = "10.88.0.1";
const IPAM = "/var/lib/cni/networks/botbox";

describe("containerd runtime", { skip: unavailable }, () => {
  let fixture: ContainerdFixture;
  let runtime: ContainerdRuntime;
  const janitor = new Janitor();
  const sh = async (client: AgentClient, command: string) => (await client.exec(command)).stdout.trim();
  const started = async (
    overrides: Partial<ContainerSpec> = {},
    on: ContainerdRuntime = runtime,
  ): Promise<[ContainerSpec, AgentClient]> => {
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, ...overrides });
    janitor.track(on, spec.id);
    await on.createContainer(spec);
    await on.startTask(spec.id);
    return [spec, janitor.client(await waitForAgent(on, spec.id))];
  };
  const ipOf = (client: AgentClient) =>
    sh(
      client,
      "python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((\"10.255.255.255\", 1)); print(s.getsockname()[0])'",
    );

  before(async () => {
    fixture = await openContainerd();
    runtime = fixture.runtime;
  });
  after(async () => {
    await janitor.cleanUp();
    await fixture.close();
  });

  it("imports the agent image's docker-archive tar under another ref, found again by its normalised ref", async () => {
    const ref = `botbox-test/agent-${process.pid}:1`;
    try {
      const imported = await runtime.importImage(ref, AGENT_IMAGE_TAR);
      assert.equal(imported.ref, ref);
      assert.equal(imported.id, (await runtime.ensureImage(DEFAULT_AGENT_IMAGE)).id, "same content, same manifest");
      assert.equal((await runtime.ensureImage(`docker.io/${ref}`)).id, imported.id, "a /-suffix match");
      assert.ok((await runtime.listImages()).some((image) => image.ref === ref));
      const missing = await fixture.open({ knownImages: { "botbox-test/absent:1": `${AGENT_IMAGE_TAR}.absent` } });
      await assert.rejects(missing.ensureImage("botbox-test/absent:1"), /build-agent-image\.sh/);
    } finally {
      await runtime.deleteImage(ref).catch(() => undefined);
    }
    assert.ok((await runtime.listImages()).every((image) => image.ref !== ref));
  });

  it("an image User given as a name runs the agent as that user, owning its socket folder and /data", async () => {
    const ref = `botbox-test/agent-nobody-${process.pid}:1`;
    const image = await agentImageTarAs("nobody");
    try {
      await runtime.importImage(ref, image.tar);
      const [spec, client] = await started({ image: ref });
      assert.equal(await sh(client, "id -u; id -g"), "65534\n65534");
      await client.writeFile("/data/mine.txt", "written by nobody");
      assert.equal(await sh(client, "stat -c %U /data/mine.txt"), "nobody");
      await runtime.stopTask(spec.id);
      await runtime.deleteContainer(spec.id);
    } finally {
      await image.dispose();
      await runtime.deleteImage(ref).catch(() => undefined);
    }
  });

  it("a new runtime instance re-attaches to a running task by its labels", async () => {
    const [spec, client] = await started();
    await client.writeFile("/data/before.txt", "written before the restart");
    const later = await fixture.open();
    assert.deepEqual(
      (await later.listContainers({ [BOT_LABEL]: spec.botId })).map((info) => info.id),
      [spec.id],
    );
    assert.equal((await later.taskInfo(spec.id)).state, "running");
    assert.equal((await later.agentEndpoint(spec.id))?.token, spec.agentToken);
    const again = janitor.client(await waitForAgent(later, spec.id));
    assert.equal((await again.readFile("/data/before.txt")).content, "     1\twritten before the restart\n");
  });

  it("a snapshot keeps /data and the root filesystem, and restore brings both back", async () => {
    const [spec, client] = await started();
    await client.writeFile("/data/notes.txt", "v1");
    await sh(client, "echo layer-v1 > /root/layer.txt");
    await runtime.stopTask(spec.id);
    await runtime.commitSnapshot(spec.id, "first");
    await runtime.startTask(spec.id);
    let agent = janitor.client(await waitForAgent(runtime, spec.id));
    await agent.writeFile("/data/notes.txt", "v2");
    await sh(agent, "echo layer-v2 > /root/layer.txt; touch /data/extra");
    await runtime.stopTask(spec.id);
    await runtime.commitSnapshot(spec.id, "second");
    assert.deepEqual(
      (await runtime.listSnapshots(spec.id)).map(({ name, parent }) => [name, parent]),
      [
        ["first", undefined],
        ["second", "first"],
      ],
    );
    await runtime.restoreSnapshot(spec.id, "first");
    await runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(runtime, spec.id));
    assert.equal(
      await sh(agent, "cat /data/notes.txt /root/layer.txt; ls /data/extra 2>&1 || true"),
      "v1layer-v1\nls: cannot access '/data/extra': No such file or directory",
    );
    await runtime.stopTask(spec.id);
    // "first" has a snapshot and a writable layer on it: it is hidden, not removed under them.
    await runtime.deleteSnapshot(spec.id, "first");
    assert.deepEqual(
      (await runtime.listSnapshots(spec.id)).map((snapshot) => snapshot.name),
      ["second"],
    );
    await runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(runtime, spec.id));
    assert.equal(await sh(agent, "cat /root/layer.txt"), "layer-v1");
  });

  it("recreating a container never deletes its writable layer: the same image reuses it, a snapshot start recovers it first", async () => {
    const [spec, client] = await started();
    await sh(client, "echo installed > /root/package.txt");
    await runtime.stopTask(spec.id);
    await runtime.commitSnapshot(spec.id, "base");
    await runtime.startTask(spec.id);
    let agent = janitor.client(await waitForAgent(runtime, spec.id));
    await sh(agent, "echo after-base > /root/package.txt");
    await runtime.stopTask(spec.id);
    await runtime.deleteContainer(spec.id, { keepData: true });
    // Same image: the layer carries on, on the snapshot it sat on.
    await runtime.createContainer(spec);
    assert.equal((await runtime.getContainer(spec.id))?.parentSnapshot, "base");
    await runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(runtime, spec.id));
    assert.equal(await sh(agent, "cat /root/package.txt"), "after-base");
    await runtime.stopTask(spec.id);
    await runtime.deleteContainer(spec.id, { keepData: true });
    // From a snapshot: the orphaned layer is committed as recovered-<time> first.
    await runtime.createContainer({ ...spec, fromSnapshot: "base" });
    const recovered = (await runtime.listSnapshots(spec.id)).find((snapshot) => snapshot.name.startsWith("recovered-"));
    assert.ok(recovered, "the orphaned layer was kept as a snapshot");
    await runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(runtime, spec.id));
    assert.equal(await sh(agent, "cat /root/package.txt"), "installed");
    await runtime.stopTask(spec.id);
    await runtime.restoreSnapshot(spec.id, recovered.name);
    await runtime.startTask(spec.id);
    agent = janitor.client(await waitForAgent(runtime, spec.id));
    assert.equal(await sh(agent, "cat /root/package.txt"), "after-base");
  });

  it("upgradeContainer moves a running bot onto a rebuilt image: /data kept, the old layer recovered as a snapshot (the original deleted it)", async () => {
    const ref = `botbox-test/agent-upgrade-${process.pid}:1`;
    // A known image tar as build-agent-image.sh leaves it: the tar and its inputs' key beside it.
    const folder = await mkdtemp(path.join(tmpdir(), "botbox-upgrade-"));
    const known = path.join(folder, "botbox-agent.tar");
    await symlink(AGENT_IMAGE_TAR, known);
    await writeFile(`${known}.key`, "first\n");
    const rebuilt = await agentImageVariant({ files: { "opt/botbox/REBUILT": "yes\n" } });
    const upgrader = await fixture.open({ knownImages: { [ref]: known } });
    try {
      const [spec, client] = await started({ image: ref }, upgrader);
      await sh(client, "echo kept > /data/kept.txt; echo old-layer > /root/old.txt");
      assert.equal(await upgrader.upgradeContainer(spec.id), false, "already on the image");
      // The rebuild: another tar and key under the same path.
      await rm(known);
      await symlink(rebuilt.tar, known);
      await writeFile(`${known}.key`, "second\n");
      assert.equal(await upgrader.upgradeContainer(spec.id), true);
      const image = await upgrader.ensureImage(ref);
      assert.notEqual(image.id, (await runtime.ensureImage(DEFAULT_AGENT_IMAGE)).id, "the ref names the rebuilt image");
      assert.equal((await upgrader.taskInfo(spec.id)).state, "running");
      let agent = janitor.client(await waitForAgent(upgrader, spec.id));
      assert.equal(await sh(agent, "cat /opt/botbox/REBUILT"), "yes", "the root filesystem is the new image's");
      assert.equal(await sh(agent, "cat /data/kept.txt"), "kept");
      assert.equal(await sh(agent, "cat /root/old.txt 2>/dev/null || echo fresh"), "fresh");
      const info = await upgrader.getContainer(spec.id);
      assert.equal(info?.image, ref);
      assert.equal(info?.labels[BOT_LABEL], spec.botId);
      assert.equal(await upgrader.upgradeContainer(spec.id), false, "already on the rebuilt image");
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

  it("CNI: a bot reaches a listener on the bridge's gateway, but not another bot's port", async () => {
    const listener = net.createServer((socket) => socket.end("hello from the host\n"));
    await new Promise<void>((resolve) => listener.listen(0, "0.0.0.0", resolve));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      const [, first] = await started({ network: "host" });
      const [, second] = await started({ network: "host" });
      assert.match(await ipOf(first), /^10\.88\./);
      assert.equal(
        await sh(first, `curl -s -m 5 telnet://${GATEWAY}:${port} </dev/null || true`),
        "hello from the host",
      );
      const secondIp = await ipOf(second);
      await sh(second, "nohup python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & sleep 1");
      assert.equal(await sh(second, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/"), "200");
      assert.equal(
        await sh(first, `curl -s -m 3 -o /dev/null http://${secondIp}:8000/ && echo reached || echo blocked`),
        "blocked",
      );
      assert.equal(await sh(first, "ls /run/botbox"), "agent.sock", "each bot sees only its own socket");
    } finally {
      listener.close();
    }
  });

  it("a bot has no raw sockets (no ARP spoofing of another bot's address on the bridge), but ICMP echo sockets work", async () => {
    const [, client] = await started({ network: "host" });
    assert.equal(
      await sh(
        client,
        'python3 -c \'import socket\ntry:\n socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n print("raw")\nexcept PermissionError:\n print("refused")\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)\nprint("icmp")\'',
      ),
      "refused\nicmp",
    );
  });

  it("CNI: stopping a bot deletes its network, leaving no IP allocated and no namespace", async () => {
    const [spec, client] = await started({ network: "host" });
    const ip = await ipOf(client);
    assert.ok(existsSync(path.join(IPAM, ip)), `host-local holds ${ip}`);
    assert.ok(existsSync(`/run/netns/botbox-${spec.botId}`));
    await runtime.stopTask(spec.id);
    assert.ok(!existsSync(path.join(IPAM, ip)), `${ip} was released`);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
    assert.ok(!(await readdir(IPAM)).some((name) => name === ip));
    await runtime.startTask(spec.id);
    const again = janitor.client(await waitForAgent(runtime, spec.id));
    assert.match(await ipOf(again), /^10\.88\./);
    await runtime.stopTask(spec.id);
    await runtime.deleteContainer(spec.id);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
  });

  it("CNI: a bot whose network record was lost (the server died between ADD and writing it) still frees its address on stop; the list has no portmap", async () => {
    const [spec, client] = await started({ network: "host" });
    const ip = await ipOf(client);
    assert.ok(existsSync(path.join(IPAM, ip)));
    await rm(path.join(fixture.home, "bots", spec.botId, "network.json"));
    await runtime.stopTask(spec.id);
    assert.ok(!existsSync(path.join(IPAM, ip)), `${ip} was released by a DEL by container id`);
    assert.ok(!existsSync(`/run/netns/botbox-${spec.botId}`));
    const list = JSON.parse(await readFile(path.join(fixture.home, "cni", "10-botbox.conflist"), "utf8")) as {
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
    const known = await fixture.open({ knownImages: { [name]: tar.path } });
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
    const tcp = await fixture.open({ agentChannel: "tcp" });
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
