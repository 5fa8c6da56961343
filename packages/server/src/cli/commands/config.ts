import { listSettings, loadConfigWithSources, maskSecrets, type SettingSource } from "../../config/index.js";
import { UsageError } from "../command-line.js";
import { output, table } from "./output.js";

const describeSource = (source: SettingSource): string =>
  source.kind === "file" ? `file ${source.file}` : source.kind === "env" ? `env ${source.variable}` : source.kind;

const show = (value: unknown): string =>
  value === undefined ? "(unset)" : typeof value === "string" ? JSON.stringify(value) : String(value);

/**
 * `botbox config print`: every setting the server would run with, where its
 * value came from (the default, the file, or a variable), secrets masked, so
 * the output can be pasted into an issue.
 */
export async function configCommand(args: string[], configFile: string | undefined, json: boolean): Promise<number> {
  const [action, ...extra] = args;
  if (action !== "print" || extra.length > 0) {
    throw new UsageError(`usage: botbox config print [--config botbox.toml] [--json]`);
  }
  const { config, sources, warnings } = await loadConfigWithSources({ file: configFile });
  const values = config as unknown as Record<string, Record<string, unknown>>;
  const settings = listSettings().map((setting) => ({
    key: setting.path,
    value: maskSecrets(setting.key, values[setting.section]![setting.key]),
    source: sources[setting.path]!,
  }));
  for (const warning of warnings) process.stderr.write(`botbox: warning: ${warning}\n`);
  output(settings, json, () =>
    table(settings.map((setting) => [setting.key, show(setting.value), describeSource(setting.source)])),
  );
  return 0;
}
