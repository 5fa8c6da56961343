import { type ApiTarget, botRoute, callApi, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { output, table } from "./output.js";

interface MemoryView {
  id: string;
  memory: string;
  updated_at: string;
  score?: number;
}

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
  const route = (suffix = "") => botRoute(botId, `/memory${suffix}`);
  const show = (results: MemoryView[]) =>
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
      const added = (await callApi(target, "POST", route(), { message })) as MemoryView;
      output(added, flags.json, () => added.id);
      return;
    }
    case "search": {
      if (rest.length === 0) throw usageError("memory");
      const { results } = (await callApi(target, "POST", route("/search"), {
        query: rest.join(" "),
        ...(limit ? { limit } : {}),
      })) as { results: MemoryView[] };
      show(results);
      return;
    }
    case "ls":
    case "list": {
      const { results } = (await callApi(target, "GET", route(limit ? `?limit=${limit}` : ""))) as {
        results: MemoryView[];
      };
      show(results);
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("memory");
      const result = (await callApi(target, "POST", route("/delete"), { ids: rest })) as { deleted: number };
      output(result, flags.json, () => `deleted ${result.deleted}`);
      return;
    }
    default:
      throw usageError("memory");
  }
}
