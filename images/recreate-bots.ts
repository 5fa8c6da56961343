/**
 * Recreates every Docker-runtime bot container whose image is `ref` on the
 * image `ref` names now, keeping /data, snapshots and tokens (the watch mode
 * of build-agent-image.sh; spec 10.3 lost the data here). Running bots are
 * stopped and started again.
 *
 *   node --import tsx images/recreate-bots.ts <image ref> <botbox home>
 */
import { DockerRuntime } from "../packages/server/src/runtime/docker/index.js";

const [ref, home] = process.argv.slice(2);
if (!ref || !home) {
  console.error("usage: recreate-bots.ts <image ref> <botbox home>");
  process.exit(2);
}
const runtime = new DockerRuntime({ home });
let recreated = 0;
for (const container of await runtime.listContainers()) {
  if (container.image !== ref) continue;
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
