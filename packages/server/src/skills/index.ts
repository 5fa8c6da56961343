// Public face of skills. Anything exported here is public API; named exports
// only.
export { MAX_SKILL_BYTES, SkillTooLargeError } from "./errors.js";
export {
  type LoadedSkills,
  loadSkills,
  type LoadSkillsOptions,
  MAX_SKILLS_LISTING_BYTES,
  type SkillProblem,
  type SkillReader,
  SKILLS_ROOT,
} from "./load-skills.js";
export { type ParsedSkill, parseSkill, type Skill } from "./parse-skill.js";
export { checkSkillName, MAX_SKILL_NAME_LENGTH } from "./skill-name.js";
export {
  checkSkillNames,
  deleteSkills,
  prepareSkillUpserts,
  type SkillUpsert,
  type SkillWriter,
  upsertSkills,
} from "./skill-store.js";
