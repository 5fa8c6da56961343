/**
 * What the containerd tests share: whether a containerd answers at
 * BOTBOX_TEST_CONTAINERD_SOCKET (`scripts/ci/containerd.sh` starts one), and a
 * runtime in a fresh home with the agent image imported (from the tar
 * `images/build-agent-image.sh` writes). The runtime is loaded only when the
 * tests can run: it needs the generated API stubs.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import type {
  ContainerdRuntime,
  ContainerdRuntimeOptions,
} from "../../packages/server/src/runtime/containerd/index.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import { makeHome } from "./support.js";

const execFileAsync = promisify(execFile);

export const AGENT_IMAGE_TAR = fileURLToPath(new URL("../../images/dist/botbox-agent.tar", import.meta.url));
const STUBS = fileURLToPath(new URL("../../packages/server/src/gen/containerd/", import.meta.url));
export const CONTAINERD_SOCKET = process.env.BOTBOX_TEST_CONTAINERD_SOCKET ?? "";

/** Why the containerd tests cannot run here, or undefined when they can. */
export async function containerdUnavailable(): Promise<string | undefined> {
  if (!CONTAINERD_SOCKET)
    return 'BOTBOX_TEST_CONTAINERD_SOCKET is not set: start one with `eval "export $(bash scripts/ci/containerd.sh)"`';
  if (!existsSync(STUBS))
    return "the containerd API stubs are missing: apt-get install golang-github-containerd-containerd-dev, then npm run gen";
  const answers = await new Promise<boolean>((resolve) => {
    const socket = net.connect(CONTAINERD_SOCKET, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
  if (!answers) return `nothing listens on ${CONTAINERD_SOCKET}`;
  if (process.getuid?.() !== 0) return "the containerd runtime needs root";
  if (!existsSync(AGENT_IMAGE_TAR)) return `${AGENT_IMAGE_TAR} is missing: run bash images/build-agent-image.sh`;
  return undefined;
}

/**
 * A copy of the agent image tar whose config says `User: user`: the same
 * layers (so an import only writes the new config), another config and
 * manifest.json. Removed with `dispose`.
 */
export function agentImageTarAs(user: string): Promise<{ tar: string; dispose(): Promise<void> }> {
  return agentImageVariant({ user });
}

/**
 * A copy of the agent image tar with another config: `User` set, and/or one
 * more layer on top holding `files` (path in the image -> content), as a
 * rebuilt agent image would have. Removed with `dispose`.
 */
export async function agentImageVariant(change: {
  user?: string;
  files?: Record<string, string>;
}): Promise<{ tar: string; dispose(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-image-variant-"));
  const tar = path.join(folder, "image.tar");
  // The image script's members are named ./<name>.
  const member = (name: string) => execFileAsync("tar", ["-xOf", AGENT_IMAGE_TAR, `./${name}`], { maxBuffer: 2 ** 26 });
  const [entry] = JSON.parse((await member("manifest.json")).stdout) as {
    Config: string;
    RepoTags?: string[];
    Layers: string[];
  }[];
  const config = JSON.parse(await member(entry!.Config).then((r) => r.stdout)) as {
    config?: { User?: string };
    rootfs?: { diff_ids?: string[] };
  };
  if (change.user !== undefined) config.config = { ...config.config, User: change.user };
  const added: string[] = [];
  let layers = entry!.Layers;
  if (change.files) {
    const root = path.join(folder, "layer");
    for (const [file, content] of Object.entries(change.files)) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
    await execFileAsync("tar", ["-cf", path.join(folder, "extra.tar"), "--owner=0", "--group=0", "-C", root, "."]);
    const digest = createHash("sha256")
      .update(await readFile(path.join(folder, "extra.tar")))
      .digest("hex");
    config.rootfs = { ...config.rootfs, diff_ids: [...(config.rootfs?.diff_ids ?? []), `sha256:${digest}`] };
    layers = [...layers, "extra.tar"];
    added.push("extra.tar");
  }
  const bytes = JSON.stringify(config);
  const configName = `${createHash("sha256").update(bytes).digest("hex")}.json`;
  await writeFile(path.join(folder, configName), bytes);
  await writeFile(
    path.join(folder, "manifest.json"),
    JSON.stringify([{ ...entry, Config: configName, RepoTags: [], Layers: layers }]),
  );
  await copyFile(AGENT_IMAGE_TAR, tar);
  await execFileAsync("tar", ["--delete", "-f", tar, "./manifest.json"]);
  await execFileAsync("tar", ["-rf", tar, "-C", folder, "manifest.json", configName, ...added]);
  return { tar, dispose: () => rm(folder, { recursive: true, force: true }) };
}

/** A one-layer image (a single file, no program) in a docker-save tar: enough to create a container on. */
export async function tinyImageTar(): Promise<{ path: string; dispose(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-tiny-image-"));
  await mkdir(path.join(folder, "rootfs", "etc"), { recursive: true });
  await writeFile(path.join(folder, "rootfs", "etc", "hostname"), "tiny\n");
  await execFileAsync("tar", ["-cf", path.join(folder, "layer.tar"), "-C", path.join(folder, "rootfs"), "."]);
  await writeFile(path.join(folder, "config.json"), JSON.stringify({ config: { Cmd: ["/bin/true"] } }));
  await writeFile(
    path.join(folder, "manifest.json"),
    JSON.stringify([{ Config: "config.json", RepoTags: [], Layers: ["layer.tar"] }]),
  );
  const tar = path.join(folder, "image.tar");
  await execFileAsync("tar", ["-cf", tar, "-C", folder, "manifest.json", "config.json", "layer.tar"]);
  return { path: tar, dispose: () => rm(folder, { recursive: true, force: true }) };
}

export interface ContainerdFixture {
  home: string;
  runtime: ContainerdRuntime;
  /** Another runtime on the same home (a server restart), closed with the fixture. */
  open(options?: Partial<ContainerdRuntimeOptions>): Promise<ContainerdRuntime>;
  close(): Promise<void>;
}

/** A runtime in a fresh home; the agent image is imported once per containerd. */
export async function openContainerd(options: Partial<ContainerdRuntimeOptions> = {}): Promise<ContainerdFixture> {
  const { ContainerdRuntime } = await import("../../packages/server/src/runtime/containerd/index.js");
  const home = await makeHome();
  const opened: ContainerdRuntime[] = [];
  const open = async (more: Partial<ContainerdRuntimeOptions> = {}) => {
    const runtime = new ContainerdRuntime({
      home,
      socketPath: CONTAINERD_SOCKET,
      knownImages: { [DEFAULT_AGENT_IMAGE]: AGENT_IMAGE_TAR },
      ...options,
      ...more,
    });
    opened.push(runtime);
    return runtime;
  };
  const runtime = await open();
  await runtime.ensureImage(DEFAULT_AGENT_IMAGE);
  return {
    home,
    runtime,
    open,
    close: async () => {
      for (const each of opened) await each.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
