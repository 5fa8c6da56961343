import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

import { AgentClient, type AgentEndpoint } from "../../packages/server/src/client/index.js";
import {
  CONTAINER_PREFIX,
  type ContainerRuntime,
  type ContainerSpec,
} from "../../packages/server/src/runtime/runtime.js";
import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";

const run = promisify(execFile);

/** A fresh botbox home. Short on purpose: the agent socket path must fit in 108 bytes. */
export async function makeHome(): Promise<string> {
  return mkdtemp("/tmp/bbx-");
}

/** A sandbox runtime in a fresh home, for one suite's `before`. */
export async function openSandbox(): Promise<{ home: string; runtime: SandboxRuntime }> {
  const home = await makeHome();
  return { home, runtime: new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE }) };
}

/** The suite's `after`: every bot it started, then its home. */
export async function closeSandbox(janitor: Janitor, home: string): Promise<void> {
  await janitor.cleanUp();
  await rm(home, { recursive: true, force: true });
}

export function botSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  const botId = overrides.botId ?? randomUUID();
  return {
    id: CONTAINER_PREFIX + botId,
    botId,
    image: "botbox/default",
    labels: {},
    env: {},
    network: "none",
    limits: {},
    agentToken: `token-${randomUUID()}`,
    ...overrides,
  };
}

export interface ReadyAgent {
  client: AgentClient;
  endpoint: AgentEndpoint;
  /** Milliseconds from the call until Info answered. */
  waitedMs: number;
}

/**
 * Waits until the task's agent answers Info. Each attempt uses a new client:
 * a gRPC channel that failed once waits out a reconnect backoff of a second.
 */
export async function waitForAgent(runtime: ContainerRuntime, id: string, timeoutMs = 15_000): Promise<ReadyAgent> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    const endpoint = await runtime.agentEndpoint(id);
    if (!endpoint) {
      const task = await runtime.taskInfo(id);
      if (task.state !== "running") throw new Error(`task of ${id} is ${task.state} (exit ${task.exitCode})`);
    } else {
      const client = new AgentClient(endpoint);
      try {
        await client.info({ timeoutMs: 1_000 });
        // Asked again once the agent answers, as the manager does: the first
        // call may have come before the socket was bound, and the sandbox
        // takes hold of the socket only when it finds one there.
        await runtime.agentEndpoint(id);
        return { client, endpoint, waitedMs: Date.now() - started };
      } catch (error) {
        lastError = error;
        client.close();
      }
    }
    await sleep(15);
  }
  throw new Error(`agent of ${id} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Remembers what a test started, and tears all of it down in `after`, failures or not. */
export class Janitor {
  private readonly containers = new Map<string, ContainerRuntime>();
  private readonly clients: AgentClient[] = [];

  track(runtime: ContainerRuntime, id: string): string {
    this.containers.set(id, runtime);
    return id;
  }

  client(agent: ReadyAgent): AgentClient {
    this.clients.push(agent.client);
    return agent.client;
  }

  async cleanUp(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    for (const [id, runtime] of this.containers) {
      await runtime.stopTask(id, { timeoutMs: 2_000 }).catch(() => {});
      await runtime.deleteContainer(id).catch(() => {});
    }
    this.containers.clear();
  }
}

/**
 * A `docker save` style tar: manifest.json, a config, and one layer tar per
 * entry of `layers` (path -> content; a content of null writes a whiteout).
 */
export async function buildImageTar(folder: string, layers: Record<string, string | null>[]): Promise<string> {
  const root = path.join(folder, "image");
  await mkdir(root, { recursive: true });
  const layerNames: string[] = [];
  for (const [index, files] of layers.entries()) {
    const source = path.join(folder, `layer-${index}`);
    for (const [name, content] of Object.entries(files)) {
      const file = path.join(
        source,
        content === null ? path.join(path.dirname(name), `.wh.${path.basename(name)}`) : name,
      );
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content ?? "");
    }
    await mkdir(path.join(root, `l${index}`));
    await run("tar", ["-cf", path.join(root, `l${index}`, "layer.tar"), "-C", source, "."]);
    layerNames.push(`l${index}/layer.tar`);
  }
  await writeFile(path.join(root, "config.json"), JSON.stringify({ config: { Env: ["PATH=/bin", "IMAGE_VAR=yes"] } }));
  await writeFile(
    path.join(root, "manifest.json"),
    JSON.stringify([{ Config: "config.json", RepoTags: ["test/image:1"], Layers: layerNames }]),
  );
  const tar = path.join(folder, "image.tar");
  await run("tar", ["-cf", tar, "-C", root, "."]);
  await rm(root, { recursive: true });
  return tar;
}
