import { BadRequestError } from "../errors.js";

export const MAX_SKILL_NAME_LENGTH = 128;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const FORBIDDEN = /[\u0000-\u001f\u007f/\\]/;

/**
 * A skill name is a folder name under /data/.skills. The original refused
 * only an empty name, `..`, `/` and `\`; this also refuses NUL and
 * control characters, a leading dot (hidden, and `.` itself) and long names.
 */
export function checkSkillName(name: string): string {
  if (name === "") throw new BadRequestError("skill name is required");
  if (name.length > MAX_SKILL_NAME_LENGTH) {
    throw new BadRequestError(`skill name is longer than ${MAX_SKILL_NAME_LENGTH} characters`);
  }
  if (name.includes("..")) throw new BadRequestError(`invalid skill name ${JSON.stringify(name)}: contains ".."`);
  if (FORBIDDEN.test(name)) {
    throw new BadRequestError(
      `invalid skill name ${JSON.stringify(name)}: contains a slash, a backslash or a control character`,
    );
  }
  if (name.startsWith(".")) throw new BadRequestError(`invalid skill name ${JSON.stringify(name)}: starts with "."`);
  if (name.trim() !== name) {
    throw new BadRequestError(`invalid skill name ${JSON.stringify(name)}: starts or ends with whitespace`);
  }
  return name;
}
