import type { MemoryInfo } from "@botbox/sdk";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").slice(0, 120);

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  const value = Number(limit);
  if (!Number.isInteger(value) || value < 1)
    throw new CliError(`--limit must be a positive whole number, got ${limit}`);
  return value;
}

/** `botbox memory add|search|ls|rm`. */
export async function memoryCommand(
  target: ApiTarget,
  args: string[],
  flags: { json: boolean; limit?: string },
): Promise<void> {
  const [action, botId, ...rest] = args;
  if (!botId) throw usageError("memory");
  const limit = parseLimit(flags.limit);
  const memory = sdkFor(target).bots.handle(botId).memory;
  const show = (results: MemoryInfo[]) =>
    output(results, flags.json, () =>
      table(
        results.map((m) => [
          m.id,
          m.updated_at,
          ...(m.score === undefined ? [] : [m.score.toFixed(2)]),
          oneLine(m.memory),
        ]),
      ),
    );
  switch (action) {
    case "add": {
      const [text] = rest;
      if (text === undefined) throw usageError("memory");
      const message = text === "-" ? await readStdin() : rest.join(" ");
      const added = await api("memory add", memory.add(message));
      output(added, flags.json, () => added.id);
      return;
    }
    case "search": {
      if (rest.length === 0) throw usageError("memory");
      show(await api("memory search", memory.search(rest.join(" "), limit ? { limit } : {})));
      return;
    }
    case "ls":
    case "list": {
      show(await api("memory ls", memory.list(limit ? { limit } : {})));
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("memory");
      const result = { deleted: await api("memory rm", memory.remove(rest)) };
      output(result, flags.json, () => `deleted ${result.deleted}`);
      return;
    }
    default:
      throw usageError("memory");
  }
}
