import { type ApiTarget, botRoute, callApi } from "../api-client.js";
import { usageError } from "../help.js";
import { output, table } from "./output.js";

interface SnapshotView {
  name: string;
  created_at: string;
  source: string;
  version: number | null;
  display_name: string | null;
}

/** `botbox snapshot create|ls|rollback`. */
export async function snapshotCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; name?: string },
): Promise<void> {
  const [action, botId, version] = args;
  if (!botId) throw usageError("snapshot");
  switch (action) {
    case "create": {
      const created = (await callApi(target, "POST", botRoute(botId, "/container/snapshots"), {
        ...(flags.name ? { display_name: flags.name } : {}),
      })) as { snapshot_name: string; version: number };
      output(created, flags.json, () => `${created.snapshot_name} (version ${created.version})`);
      return;
    }
    case "ls":
    case "list": {
      const { snapshots } = (await callApi(target, "GET", botRoute(botId, "/container/snapshots"))) as {
        snapshots: SnapshotView[];
      };
      output(snapshots, flags.json, () =>
        table([
          ["VERSION", "NAME", "SOURCE", "CREATED", "DISPLAY NAME"],
          ...snapshots.map((s) => [String(s.version ?? "-"), s.name, s.source, s.created_at, s.display_name ?? ""]),
        ]),
      );
      return;
    }
    case "rollback": {
      const wanted = Number(version);
      if (!version || !Number.isInteger(wanted) || wanted < 1)
        throw usageError("snapshot", "snapshot rollback: the version is a number from snapshot ls");
      const result = (await callApi(target, "POST", botRoute(botId, "/container/rollback"), { version: wanted })) as {
        version: number;
      };
      output(result, flags.json, () => `${botId}: rolled back to version ${result.version}`);
      return;
    }
    default:
      throw usageError("snapshot");
  }
}
