import type { AgentClient } from "../client/index.js";
import { NotFoundError } from "../errors.js";
import { MAX_SKILL_BYTES, SkillTooLargeError } from "./errors.js";
import { parseSkill, type Skill } from "./parse-skill.js";

/** Where skills live (spec 7.4); the agent is given the relative form, resolved under /data. */
export const SKILLS_ROOT = "/data/.skills";
export const SKILLS_DIR = ".skills";
export const SKILL_FILE = "SKILL.md";

export type SkillReader = Pick<AgentClient, "listDir" | "readRaw">;

/** A SKILL.md that could not be used, or was used without its frontmatter. */
export interface SkillProblem {
  /** The file, as the bot sees it. */
  path: string;
  message: string;
}

export interface LoadedSkills {
  skills: Skill[];
  errors: SkillProblem[];
}

export interface LoadSkillsOptions {
  /** Told about every problem; pino's `warn(object, message)`. */
  logger?: { warn(object: object, message: string): void };
}

/**
 * The bot's skills, for the skills API and for prompt building: each
 * /data/.skills/<name>/SKILL.md, and a bare /data/.skills/SKILL.md as
 * "default".
 *
 * Fixed from the original (spec 7.4, 12.2): files are read raw, without line
 * numbers or the 5 KiB cap, so frontmatter is found; a file that cannot be
 * read or parsed is reported in `errors` instead of dropped in silence; and
 * only a missing /data/.skills means "no skills" (any other listing failure
 * is thrown). A folder without a SKILL.md, or whose name starts with a dot,
 * is not a skill and is passed over.
 */
export async function loadSkills(agent: SkillReader, options: LoadSkillsOptions = {}): Promise<LoadedSkills> {
  let entries;
  try {
    entries = await agent.listDir(SKILLS_DIR);
  } catch (error) {
    if (error instanceof NotFoundError) return { skills: [], errors: [] };
    throw error;
  }
  const candidates = [
    ...entries
      .filter((entry) => !entry.isDir && entry.path === SKILL_FILE)
      .map(() => ({ folder: "", name: "default" })),
    ...entries
      .filter((entry) => entry.isDir && !entry.path.startsWith("."))
      .map((entry) => ({ folder: `${entry.path}/`, name: entry.path })),
  ];
  const results = await Promise.all(
    candidates.map(async ({ folder, name }) => {
      const path = `${SKILLS_ROOT}/${folder}${SKILL_FILE}`;
      try {
        const raw = await readSkillFile(agent, `${SKILLS_DIR}/${folder}${SKILL_FILE}`);
        if (raw === undefined) return {};
        const parsed = parseSkill(raw, name);
        return { skill: parsed.skill, problem: parsed.problem ? { path, message: parsed.problem } : undefined };
      } catch (error) {
        return { problem: { path, message: (error as Error).message } };
      }
    }),
  );
  const loaded: LoadedSkills = { skills: [], errors: [] };
  for (const { skill, problem } of results) {
    if (skill) loaded.skills.push(skill);
    if (problem) {
      loaded.errors.push(problem);
      options.logger?.warn({ path: problem.path, reason: problem.message }, "skill file not fully usable");
    }
  }
  return loaded;
}

/** The file's text, or undefined when there is none. */
async function readSkillFile(agent: SkillReader, path: string): Promise<string | undefined> {
  let stream;
  try {
    stream = await agent.readRaw(path);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > MAX_SKILL_BYTES) throw new SkillTooLargeError(SKILL_FILE);
      chunks.push(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Error("SKILL.md is not valid UTF-8");
  }
}
