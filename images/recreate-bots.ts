/**
 * Recreates every bot container whose image is `ref` on the image `ref`
 * names now, keeping /data, snapshots and tokens (the watch mode of
 * build-agent-image.sh; spec 10.3 lost the data here). Running bots are
 * stopped and started again.
 *
 *   node --import tsx images/recreate-bots.ts <image ref> <botbox home> [image tar]
 *
 * The runtime is the server's: `runtime.backend` of botbox.toml in the working
 * folder, or BOTBOX_RUNTIME. `containerd` recreates on containerd (socket from
 * BOTBOX_CONTAINERD_SOCKET_PATH or `[containerd]`; the image tar, when given,
 * is imported under `ref` when its `<tar>.key` changed); anything else on
 * Docker, whose image build-agent-image.sh has loaded already.
 */
import { loadConfig } from "../packages/server/src/config/index.js";

interface Upgradable {
  listContainers(): Promise<{ id: string; image: string }[]>;
  upgradeContainer(id: string): Promise<boolean>;
  close(): Promise<void>;
}

const [ref, home, tar] = process.argv.slice(2);
if (!ref || !home) {
  console.error("usage: recreate-bots.ts <image ref> <botbox home> [image tar]");
  process.exit(2);
}
const config = await loadConfig({ env: { ...process.env, BOTBOX_HOME: home } });
let runtime: Upgradable;
let onRef: (image: string) => boolean;
if (config.runtime.backend === "containerd") {
  const { ContainerdRuntime, containerdOptionsFrom } =
    await import("../packages/server/src/runtime/containerd/index.js");
  const { sameImageRef } = await import("../packages/server/src/runtime/containerd/images.js");
  runtime = new ContainerdRuntime(
    containerdOptionsFrom(config.server.home, config.containerd, tar ? { [ref]: tar } : {}),
  );
  onRef = (image) => sameImageRef(image, ref);
} else {
  const { DockerRuntime } = await import("../packages/server/src/runtime/docker/index.js");
  runtime = new DockerRuntime({ home });
  onRef = (image) => image === ref;
}
let recreated = 0;
for (const container of await runtime.listContainers()) {
  if (!onRef(container.image)) continue;
  try {
    if (await runtime.upgradeContainer(container.id)) {
      recreated++;
      console.error(`recreated ${container.id} on ${ref}`);
    }
  } catch (error) {
    console.error(`${container.id} stays on its old image: ${(error as Error).message}`);
  }
}
console.error(`${recreated} bot container(s) recreated`);
await runtime.close();
