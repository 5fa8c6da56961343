/**
 * Recreates every bot container whose image is `ref` on the image `ref`
 * names now, keeping /data, snapshots and tokens (the watch mode of
 * build-agent-image.sh; the original lost the data here). Running bots are
 * stopped and started again.
 *
 *   node --import tsx images/recreate-bots.ts <image ref> <botbox home> [image tar]
 *
 * The runtime is the server's, chosen by the registry
 * (packages/server/src/runtime/backends.ts) from `runtime.backend` of
 * botbox.toml in the working folder, or BOTBOX_RUNTIME; a backend that
 * cannot upgrade means the first that can (Docker). The image tar, when given,
 * is what a backend that imports images (containerd) loads under `ref` when
 * its `<tar>.key` changed; Docker's image build-agent-image.sh has loaded
 * already.
 */
import { pino } from "pino";

import { loadConfig } from "../packages/server/src/config/index.js";
import {
  backendNamed,
  chooseBackend,
  createRuntime,
  RUNTIME_BACKENDS,
} from "../packages/server/src/runtime/backends.js";

const [ref, home, tar] = process.argv.slice(2);
if (!ref || !home) {
  console.error("usage: recreate-bots.ts <image ref> <botbox home> [image tar]");
  process.exit(2);
}
const config = await loadConfig({ env: { ...process.env, BOTBOX_HOME: home } });
// The agent image is the container backends': bots of a sandbox server do
// not run it, so a backend that cannot upgrade means the first that can
// (Docker, into which build-agent-image.sh has loaded it).
const chosen = (() => {
  try {
    return chooseBackend(config);
  } catch {
    return undefined;
  }
})();
if (!chosen?.upgrades) config.runtime.backend = RUNTIME_BACKENDS.find((backend) => backend.upgrades)!.name;
const runtime = await createRuntime(config, {
  logger: pino({ level: "silent" }),
  knownImages: tar ? { [ref]: tar } : {},
  agentBundle: process.env.BOTBOX_AGENT_BUNDLE ?? "",
});
if (!runtime.upgradeContainer) {
  console.error(`the ${runtime.name} runtime cannot recreate containers on a new image`);
  process.exit(2);
}
const backend = backendNamed(runtime.name);
let recreated = 0;
for (const container of await runtime.listContainers()) {
  if (!backend.sameImage(container.image, ref)) continue;
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
