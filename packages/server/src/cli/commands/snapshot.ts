import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

/** `botbox snapshot create|ls|rollback`. */
export async function snapshotCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; name?: string },
): Promise<void> {
  const [action, botId, version] = args;
  if (!botId) throw usageError("snapshot");
  const snapshots = sdkFor(target).bots.handle(botId).snapshots;
  switch (action) {
    case "create": {
      const created = await api("snapshot create", snapshots.create(flags.name ? { displayName: flags.name } : {}));
      output(created, flags.json, () => `${created.snapshot_name} (version ${created.version})`);
      return;
    }
    case "ls":
    case "list": {
      const listed = await api("snapshot ls", snapshots.list());
      output(listed, flags.json, () =>
        table([
          ["VERSION", "NAME", "SOURCE", "CREATED", "DISPLAY NAME"],
          ...listed.map((s) => [String(s.version ?? "-"), s.name, s.source ?? "", s.created_at, s.display_name ?? ""]),
        ]),
      );
      return;
    }
    case "rollback": {
      const wanted = Number(version);
      if (!version || !Number.isInteger(wanted) || wanted < 1)
        throw usageError("snapshot", "snapshot rollback: the version is a number from snapshot ls");
      const result = await api("snapshot rollback", snapshots.rollback(wanted));
      output(result, flags.json, () => `${botId}: rolled back to version ${result.version}`);
      return;
    }
    default:
      throw usageError("snapshot");
  }
}
