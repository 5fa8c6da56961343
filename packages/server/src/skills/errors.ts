import { BadRequestError } from "../errors.js";

/** Largest SKILL.md read or written. */
export const MAX_SKILL_BYTES = 2 ** 20;

/**
 * A SKILL.md past the size bound. A bad request to anything that maps botbox
 * errors; `statusCode` makes the HTTP layer answer 413, the way it answers
 * Fastify's own body-too-large errors.
 */
export class SkillTooLargeError extends BadRequestError {
  readonly statusCode = 413;

  constructor(what: string, limitBytes = MAX_SKILL_BYTES) {
    super(`${what} is larger than ${limitBytes} bytes`);
  }
}
