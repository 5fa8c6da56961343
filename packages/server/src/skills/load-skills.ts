import type { AgentClient } from "../client/index.js";
import { NotFoundError } from "../errors.js";
import { readWholeText } from "../workspace/index.js";
import { MAX_SKILL_BYTES } from "./errors.js";
import { parseSkill, type Skill } from "./parse-skill.js";

/** Where skills live; the agent is given the relative form, resolved under /data. */
export const SKILLS_ROOT = "/data/.skills";
export const SKILLS_DIR = ".skills";
export const SKILL_FILE = "SKILL.md";

export type SkillReader = Pick<AgentClient, "listDir" | "readRawNoFollow">;

/** A SKILL.md that could not be used, or was used without its frontmatter. */
export interface SkillProblem {
  /** The file, as the bot sees it. */
  path: string;
  message: string;
}

export interface LoadedSkills {
  skills: Skill[];
  errors: SkillProblem[];
  /**
   * Set when the listing's byte budget ran out: the skills not read are
   * each named in `errors`, and can be read one by one through the file
   * manager.
   */
  truncated?: true;
}

/** The most SKILL.md bytes one listing reads and answers with, all files together. */
export const MAX_SKILLS_LISTING_BYTES = 4 * 2 ** 20;
/** SKILL.md files read at once; with the per-file cap, what a listing holds in flight. */
const READ_CONCURRENCY = 8;

export interface LoadSkillsOptions {
  /** Told about every problem; pino's `warn(object, message)`. */
  logger?: { warn(object: object, message: string): void };
  /** The largest SKILL.md read; a larger one is reported in `errors`. Default MAX_SKILL_BYTES (1 MiB). */
  maxFileBytes?: number;
  /** The most SKILL.md bytes taken into one listing. Default MAX_SKILLS_LISTING_BYTES (4 MiB). */
  maxTotalBytes?: number;
}

interface Candidate {
  folder: string;
  name: string;
}

interface ReadOutcome {
  skill?: Skill;
  problem?: SkillProblem;
  /** The file's size, counted against the listing's budget. */
  bytes: number;
}

/**
 * The bot's skills, for the skills API and for prompt building: each
 * /data/.skills/<name>/SKILL.md, and a bare /data/.skills/SKILL.md as
 * "default".
 *
 * Fixed from the original: files are read raw, without line
 * numbers or the 5 KiB cap, so frontmatter is found; a file that cannot be
 * read or parsed is reported in `errors` instead of dropped in silence; and
 * only a missing /data/.skills means "no skills" (any other listing failure
 * is thrown). A folder without a SKILL.md, or whose name starts with a dot,
 * is not a skill and is passed over.
 *
 * Bounded: each file is read up to `maxFileBytes`, and once the files taken
 * add up to `maxTotalBytes` the rest are not read but named in `errors`, with
 * `truncated` set. A bot can make its skills folder as large as it likes
 * (hard links cost it nothing), so without a budget one listing could make
 * the server hold any amount.
 */
export async function loadSkills(agent: SkillReader, options: LoadSkillsOptions = {}): Promise<LoadedSkills> {
  let entries;
  try {
    entries = await agent.listDir(SKILLS_DIR);
  } catch (error) {
    if (error instanceof NotFoundError) return { skills: [], errors: [] };
    throw error;
  }
  const candidates: Candidate[] = [
    ...entries
      .filter((entry) => !entry.isDir && entry.path === SKILL_FILE)
      .map(() => ({ folder: "", name: "default" })),
    ...entries
      .filter((entry) => entry.isDir && !entry.path.startsWith("."))
      .map((entry) => ({ folder: `${entry.path}/`, name: entry.path })),
  ];
  const maxFileBytes = options.maxFileBytes ?? MAX_SKILL_BYTES;
  const maxTotalBytes = options.maxTotalBytes ?? MAX_SKILLS_LISTING_BYTES;
  const loaded: LoadedSkills = { skills: [], errors: [] };
  const report = (problem: SkillProblem) => {
    loaded.errors.push(problem);
    options.logger?.warn({ path: problem.path, reason: problem.message }, "skill file not fully usable");
  };
  let taken = 0;
  let next = 0;
  // Read a few at a time and take them in listing order, so what fits the
  // budget does not depend on which read finished first.
  while (next < candidates.length && !loaded.truncated) {
    const batch = candidates.slice(next, next + READ_CONCURRENCY);
    const outcomes = await Promise.all(batch.map((candidate) => readSkill(agent, candidate, maxFileBytes)));
    for (const { skill, problem, bytes } of outcomes) {
      if (taken + bytes > maxTotalBytes) {
        loaded.truncated = true;
        break;
      }
      taken += bytes;
      next++;
      if (skill) loaded.skills.push(skill);
      if (problem) report(problem);
    }
  }
  const unread = candidates.slice(next);
  if (unread.length === 0) return loaded;
  // One log line for all of them: there may be thousands.
  options.logger?.warn({ unread: unread.length, maxTotalBytes }, "skills listing over its byte budget");
  for (const { folder } of unread) {
    loaded.errors.push({
      path: skillPath(folder),
      message:
        `not read: the listing's budget of ${maxTotalBytes} bytes of SKILL.md text was spent on the skills before it; ` +
        "read this one alone through the file manager (GET /bots/:bot_id/container/fs/read)",
    });
  }
  return loaded;
}

const skillPath = (folder: string) => `${SKILLS_ROOT}/${folder}${SKILL_FILE}`;

async function readSkill(agent: SkillReader, { folder, name }: Candidate, maxBytes: number): Promise<ReadOutcome> {
  const path = skillPath(folder);
  try {
    const file = await readSkillFile(agent, `${SKILLS_DIR}/${folder}${SKILL_FILE}`, maxBytes);
    if (file === undefined) return { bytes: 0 };
    const parsed = parseSkill(file.text, name);
    return {
      skill: parsed.skill,
      problem: parsed.problem ? { path, message: parsed.problem } : undefined,
      bytes: file.bytes,
    };
  } catch (error) {
    return { problem: { path, message: (error as Error).message }, bytes: 0 };
  }
}

/**
 * The file's text and size, or undefined when there is none. No link is
 * followed and only a plain file is opened: a bot's SKILL.md that is a link
 * or a FIFO is reported as a problem instead of read (a FIFO would hang it).
 */
async function readSkillFile(
  agent: SkillReader,
  path: string,
  maxBytes: number,
): Promise<{ text: string; bytes: number } | undefined> {
  try {
    const file = await readWholeText(agent, path, { maxBytes, noFollowRoot: "" });
    // A byte-order mark would hide the frontmatter's opening "---".
    return { text: file.text.replace(/^\ufeff/, ""), bytes: file.size };
  } catch (error) {
    // Too large, not UTF-8, not a plain file: the message becomes the skill's problem.
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
