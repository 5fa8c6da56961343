import { readFile } from "node:fs/promises";

import { type ApiTarget, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { api, sdkFor } from "../sdk-client.js";
import { output, table } from "./output.js";

async function readSource(source: string): Promise<string> {
  if (source !== "-") {
    return readFile(source, "utf8").catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`skills add: cannot read ${source}: ${error.code ?? error.message}`);
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `botbox skills ls|add|rm`. */
export async function skillsCommand(target: ApiTarget, args: string[], flags: { json: boolean }): Promise<void> {
  const [action, botId, ...rest] = args;
  if (!botId) throw usageError("skills");
  const skills = sdkFor(target).bots.handle(botId).skills;
  switch (action) {
    case "ls":
    case "list": {
      const result = await api("skills ls", skills.list());
      output(result, flags.json, () => {
        const lines = [table(result.skills.map((skill) => [skill.name, skill.description.split("\n")[0]!]))];
        for (const problem of result.errors ?? []) lines.push(`! ${problem.path}: ${problem.message}`);
        return lines.filter(Boolean).join("\n");
      });
      return;
    }
    case "add": {
      if (rest.length === 0) throw usageError("skills");
      const sources = await Promise.all(rest.map(readSource));
      const names = await api("skills add", skills.put(sources));
      output({ names }, flags.json, () => names.join("\n"));
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("skills");
      await api("skills rm", skills.remove(rest));
      return;
    }
    default:
      throw usageError("skills");
  }
}
