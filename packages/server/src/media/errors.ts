import { PayloadTooLargeError } from "../errors.js";

/** A file past the media size limit. */
export class MediaTooLargeError extends PayloadTooLargeError {
  constructor(readonly limitBytes: number) {
    super(`the file is larger than the media limit of ${limitBytes} bytes`);
  }
}
