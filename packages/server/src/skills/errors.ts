import { PayloadTooLargeError } from "../errors.js";

/** Largest SKILL.md read or written. */
export const MAX_SKILL_BYTES = 2 ** 20;

/** A SKILL.md past the size bound. */
export class SkillTooLargeError extends PayloadTooLargeError {
  constructor(what: string, limitBytes = MAX_SKILL_BYTES) {
    super(`${what} is larger than ${limitBytes} bytes`);
  }
}
