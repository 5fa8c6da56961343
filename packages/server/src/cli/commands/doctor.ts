import { pino } from "pino";

import { loadConfig } from "../../config/index.js";
import { output } from "./output.js";

/** A server whose bots share the host's network by default is flagged: that is an opt-in for trusted bots. */
function defaultNetworkCheck(network: string) {
  return network === "host"
    ? {
        name: "default network",
        ok: false,
        detail:
          '[runtime] network = "host": bots reach the host\'s services, the botbox API and each other; use "isolated" unless every bot is trusted',
      }
    : { name: "default network", ok: true, detail: `"${network}" unless a bot asks for another` };
}

/** `botbox doctor`: the configured runtime's own checks, and the server's default network. Exit 1 when one fails. */
export async function doctorCommand(configFile: string | undefined, json: boolean): Promise<number> {
  const config = await loadConfig({ file: configFile });
  const { createRuntime } = await import("../../composition/index.js");
  const checks = [
    ...(await (await createRuntime(config, pino({ level: "silent" }))).doctor()),
    defaultNetworkCheck(config.runtime.network),
  ];
  output(checks, json, () =>
    checks.map((check) => `${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`).join("\n"),
  );
  return checks.every((check) => check.ok) ? 0 : 1;
}
