import { BadRequestError } from "../errors.js";

/**
 * A file past the media size limit. A bad request to anything that maps
 * botbox errors; `statusCode` makes the HTTP layer answer 413, the way it
 * answers Fastify's own body-too-large errors.
 */
export class MediaTooLargeError extends BadRequestError {
  readonly statusCode = 413;

  constructor(readonly limitBytes: number) {
    super(`the file is larger than the media limit of ${limitBytes} bytes`);
  }
}
