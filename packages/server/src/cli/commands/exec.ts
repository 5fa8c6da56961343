import { shellWord } from "../../lib/index.js";
import { type ApiTarget, botRoute, CliError, requestApi } from "../api-client.js";
import { usageError } from "../help.js";

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
  const response = await requestApi(target, "POST", botRoute(botId, "/container/exec/stream"), {
    what: "exec",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ command: command.length === 1 ? command[0] : command.map(shellWord).join(" ") }),
  });
  if (!response.body) throw new CliError("exec: the server sent no output stream");
  let pending = "";
  let exitCode = 1;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) !== -1) {
      const event = JSON.parse(pending.slice(0, newline)) as {
        type: string;
        data?: string;
        exit_code?: number;
        message?: string;
      };
      pending = pending.slice(newline + 1);
      if (event.type === "stdout") process.stdout.write(event.data ?? "");
      else if (event.type === "stderr") process.stderr.write(event.data ?? "");
      else if (event.type === "exit") exitCode = event.exit_code ?? 1;
      else if (event.type === "error") throw new CliError(`exec: ${event.message}`);
    }
  }
  return exitCode;
}
