/**
 * Image tars the container backends' tests import: variants of the agent
 * image (another user, one more layer, as a rebuild makes) and a tiny image
 * with no program. Each is removed with its `dispose`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { AGENT_IMAGE_TAR } from "../support/runtimes.js";

const execFileAsync = promisify(execFile);

/**
 * A copy of the agent image tar whose config says `User: user`: the same
 * layers (so an import only writes the new config), another config and
 * manifest.json. Removed with `dispose`.
 */
export function agentImageTarAs(user: string): Promise<{ tar: string; dispose(): Promise<void> }> {
  return imageTarVariant(AGENT_IMAGE_TAR, { user });
}

/**
 * A copy of a docker-save image tar (the agent image's, by default) with
 * another config: `User` set, and/or one more layer on top holding `files`
 * (path in the image -> content), as a rebuilt image would have. Removed
 * with `dispose`.
 */
export async function imageTarVariant(
  base: string,
  change: {
    user?: string;
    files?: Record<string, string>;
  },
): Promise<{ tar: string; dispose(): Promise<void> }> {
  const folder = await mkdtemp(path.join(tmpdir(), "botbox-image-variant-"));
  const tar = path.join(folder, "image.tar");
  // The image script's members are named ./<name>.
  const member = (name: string) => execFileAsync("tar", ["-xOf", base, `./${name}`], { maxBuffer: 2 ** 26 });
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
  await copyFile(base, tar);
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
