import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function isMountPoint(folder: string): Promise<boolean> {
  return (await mountPoints()).includes(folder);
}

async function mountPoints(): Promise<string[]> {
  const table = await readFile("/proc/self/mountinfo", "utf8");
  return table
    .split("\n")
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(" ")[4] ?? ""));
}

/**
 * Unmounts everything mounted at or below `folder`, deepest first: what a
 * crash left mounted must not make a delete fail (EBUSY) or reach through a
 * mount into the layers below it.
 */
export async function unmountAllUnder(folder: string): Promise<void> {
  // Stacked mounts appear once each; a few rounds take them all off.
  for (let round = 0; round < 8; round++) {
    const below = (await mountPoints()).filter((point) => point === folder || point.startsWith(`${folder}/`));
    if (below.length === 0) return;
    for (const point of [...new Set(below)].sort((a, b) => b.length - a.length)) await unmount(point);
  }
}

/**
 * Mounts an overlay of `lowers` (topmost first) at `target`; with `upper`, a
 * writable one. redirect_dir, index and metacopy are off so that layers hold
 * plain files and whiteouts only, which flatten-layers.ts can read back.
 * The cost: renaming a folder that came from a lower layer fails with EXDEV
 * (`mv` then copies), as in Docker's overlay2.
 */
export async function mountOverlay(
  target: string,
  lowers: string[],
  writable?: { upper: string; work: string },
): Promise<void> {
  for (const folder of [target, ...lowers, writable?.upper ?? "", writable?.work ?? ""]) {
    // The kernel splits options on ',' and lower folders on ':'.
    if (/[,:\\]/.test(folder)) throw new Error(`cannot mount an overlay over a path holding , : or \\: ${folder}`);
  }
  const options = [
    `lowerdir=${lowers.join(":")}`,
    ...(writable ? [`upperdir=${writable.upper}`, `workdir=${writable.work}`] : ["ro"]),
  ];
  try {
    await run("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      [...options, "redirect_dir=off,index=off,metacopy=off"].join(","),
      target,
    ]);
  } catch {
    // Older kernels lack some of these options; their defaults are off.
    await run("mount", ["-t", "overlay", "overlay", "-o", options.join(","), target]);
  }
}

export async function unmount(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  try {
    await run("umount", [target]);
  } catch {
    // Busy (a process still has a file open): detach it now, it goes when released.
    await run("umount", ["-l", target]);
  }
}

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
