import type { AgentClient } from "../client/index.js";
import { BadRequestError } from "../errors.js";
import { MAX_SKILL_BYTES, SkillTooLargeError } from "./errors.js";
import { SKILL_FILE, SKILLS_DIR } from "./load-skills.js";
import { parseSkill } from "./parse-skill.js";
import { checkSkillName } from "./skill-name.js";

export type SkillWriter = Pick<AgentClient, "writeFile" | "deleteFile">;

/** A SKILL.md ready to be written, its name checked. */
export interface SkillUpsert {
  name: string;
  raw: string;
}

/**
 * Checks skills before anything is written, so a bad one changes nothing:
 * the size bound, a usable frontmatter, a valid name (from the frontmatter,
 * "default" without one), no name twice.
 */
export function prepareSkillUpserts(raws: string[]): SkillUpsert[] {
  if (raws.length === 0) throw new BadRequestError("skills must not be empty");
  const planned = raws.map((raw, index) => {
    if (Buffer.byteLength(raw) > MAX_SKILL_BYTES) throw new SkillTooLargeError(`skill ${index}`);
    const { skill, problem } = parseSkill(raw, "");
    // The original wrote such a skill as "default", over whatever was there.
    if (problem) throw new BadRequestError(`skill ${index}: ${problem}`);
    return { name: checkSkillName(skill.name), raw };
  });
  const names = planned.map((skill) => skill.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) throw new BadRequestError(`skill ${JSON.stringify(repeated)} is given twice`);
  return planned;
}

/**
 * Writes each SKILL.md to /data/.skills/<name>/SKILL.md, checked first (see
 * prepareSkillUpserts). Each write is atomic and makes the folder. Returns
 * the names, in order.
 */
export async function upsertSkills(agent: SkillWriter, skills: string[] | SkillUpsert[]): Promise<string[]> {
  const planned = skills.every((skill) => typeof skill === "string")
    ? prepareSkillUpserts(skills)
    : (skills as SkillUpsert[]);
  for (const { name, raw } of planned) await agent.writeFile(`${SKILLS_DIR}/${name}/SKILL.md`, raw);
  return planned.map((skill) => skill.name);
}

/**
 * Removes each skill's folder, and for "default" the bare
 * /data/.skills/SKILL.md too, since the listing shows it under that name.
 * Every name is checked first; removing a skill that is not there succeeds,
 * but other failures are reported (the original ignored every error).
 */
export async function deleteSkills(agent: SkillWriter, names: string[]): Promise<void> {
  checkSkillNames(names);
  for (const name of names) {
    await agent.deleteFile(`${SKILLS_DIR}/${name}`, { recursive: true });
    if (name === "default") await agent.deleteFile(`${SKILLS_DIR}/${SKILL_FILE}`);
  }
}

export function checkSkillNames(names: string[]): void {
  if (names.length === 0) throw new BadRequestError("names must not be empty");
  for (const name of names) checkSkillName(name);
}
