import { readFile } from "node:fs/promises";

import { type ApiTarget, botRoute, callApi, CliError } from "../api-client.js";
import { usageError } from "../help.js";
import { output, table } from "./output.js";

interface SkillView {
  name: string;
  description: string;
}

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
  const route = botRoute(botId, "/container/skills");
  switch (action) {
    case "ls":
    case "list": {
      const result = (await callApi(target, "GET", route)) as {
        skills: SkillView[];
        errors?: { path: string; message: string }[];
      };
      output(result, flags.json, () => {
        const lines = [table(result.skills.map((skill) => [skill.name, skill.description.split("\n")[0]!]))];
        for (const problem of result.errors ?? []) lines.push(`! ${problem.path}: ${problem.message}`);
        return lines.filter(Boolean).join("\n");
      });
      return;
    }
    case "add": {
      if (rest.length === 0) throw usageError("skills");
      const skills = await Promise.all(rest.map(readSource));
      const result = (await callApi(target, "POST", route, { skills })) as { names?: string[] };
      output(result, flags.json, () => (result.names ?? []).join("\n"));
      return;
    }
    case "rm": {
      if (rest.length === 0) throw usageError("skills");
      await callApi(target, "DELETE", route, { names: rest });
      return;
    }
    default:
      throw usageError("skills");
  }
}
