/**
 * Input checks shared by the store files. Every failure is a BadRequestError
 * whose message names the field, e.g. `displayName: must not be empty`, so
 * the HTTP layer can pass it on as is.
 */
import { z } from "zod";

import { BadRequestError } from "../errors.js";

export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join(".");
    return field ? `${field}: ${issue.message}` : issue.message;
  });
  throw new BadRequestError(problems.join("; "));
}

/** Checks one named argument, e.g. `parseField("botId", botIdSchema, id)`. */
export function parseField<T>(name: string, schema: z.ZodType<T>, value: unknown): T {
  return parseInput(z.object({ [name]: schema }), { [name]: value })[name] as T;
}

export { botIdSchema } from "../bot-id.js";

/** A runtime-level name: container ids, snapshot names, snapshotters, images, namespaces. */
export const nameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(255, "must be at most 255 characters")
  // Control characters or surrounding blanks in a runtime name are always a caller's bug.
  .regex(/^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u, "must not contain control characters or surrounding spaces");

export const recordIdSchema = z.string().min(1, "must not be empty").max(64, "must be at most 64 characters");

export const displayNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters");
