import { shellWord } from "../../lib/index.js";
import type { ApiTarget } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";

/**
 * `botbox exec <bot> -- <command...>`: streams output and exits with the
 * command's code. One argument is a shell command line as typed (`botbox exec
 * b -- 'ls | wc'`); several are words, quoted so the shell sees each as one.
 */
export async function execCommand(target: ApiTarget, args: string[]): Promise<number> {
  const separator = args.indexOf("--");
  const botId = args[0];
  const command = separator === -1 ? args.slice(1) : args.slice(separator + 1);
  if (!botId || command.length === 0) throw usageError("exec");
  const line = command.length === 1 ? command[0]! : command.map(shellWord).join(" ");
  const result = await api(
    "exec",
    sdkFor(target)
      .bots.handle(botId)
      .execStream(line, {
        onStdout: (data) => process.stdout.write(data),
        onStderr: (data) => process.stderr.write(data),
      }),
  );
  return result.exitCode;
}
