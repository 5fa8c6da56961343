import { z } from "zod";

import { containerPath } from "../../workspace/index.js";

/** A required path field: present, a string, not blank; cleaned by containerPath. */
export const requiredPath = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .trim()
  .min(1, "is required")
  .refine((value) => !value.includes("\0"), "must not contain NUL bytes")
  .transform(containerPath);

/** An optional path field; absent or blank means `fallback`. */
export const optionalPath = (fallback: string) =>
  z
    .string({ error: "must be a string" })
    .refine((value) => !value.includes("\0"), "must not contain NUL bytes")
    .default(fallback)
    .transform((value) => containerPath(value.trim() === "" ? fallback : value));
