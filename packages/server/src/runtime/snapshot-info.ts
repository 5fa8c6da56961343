import type { SnapshotInfo } from "./runtime.js";

/** The labels a container backend puts on a committed snapshot: the same on Docker's images and containerd's snapshots. */
export const SNAPSHOT_LABELS = {
  bot: "org.botbox.snapshot.bot",
  name: "org.botbox.snapshot.name",
  parent: "org.botbox.snapshot.parent",
  created: "org.botbox.snapshot.created",
} as const;

/** A snapshot as the runtime contract shows it: without what a backend keeps beside it, and no empty parent. */
export function snapshotInfo({ name, parent, createdAt }: SnapshotInfo): SnapshotInfo {
  return parent ? { name, createdAt, parent } : { name, createdAt };
}
