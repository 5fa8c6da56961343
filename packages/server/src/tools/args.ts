import { BadRequestError } from "../errors.js";

/**
 * Argument helpers for tool calls. Unlike the original, strings are
 * not stringified and, apart from paths and commands, not trimmed: a file's
 * content and edit texts keep their whitespace. Every failure
 * names the argument, and nothing is touched before all arguments pass.
 */
export class ToolArgumentError extends BadRequestError {}

export type ToolArgs = Record<string, unknown>;

const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** A string argument as given, or undefined when absent. */
export function optionalString(args: ToolArgs, name: string): string | undefined {
  const value = args[name];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "string") throw new ToolArgumentError(`invalid ${name}: must be a string`);
  return value;
}

/** A trimmed string argument ("" when absent), for paths and commands. */
export function trimmedString(args: ToolArgs, name: string): string {
  return (optionalString(args, name) ?? "").trim();
}

/** An integer argument: numbers are accepted and truncated, as JSON numbers arrive as floats. */
export function optionalInteger(args: ToolArgs, name: string): number | undefined {
  const value = args[name];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "number") throw new ToolArgumentError(`invalid ${name}: must be a number`);
  if (!Number.isFinite(value)) throw new ToolArgumentError(`invalid ${name}: must be a valid number`);
  return Math.trunc(value);
}

export function optionalBoolean(args: ToolArgs, name: string): boolean | undefined {
  const value = args[name];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "boolean") throw new ToolArgumentError(`invalid ${name}: must be a boolean`);
  return value;
}

/** An integer within [min, max]; outside it, an error stating the range. */
export function boundedInteger(
  args: ToolArgs,
  name: string,
  bounds: { min: number; max: number; unit?: string },
): number | undefined {
  const value = optionalInteger(args, name);
  if (value === undefined) return undefined;
  if (value < bounds.min || value > bounds.max) {
    const unit = bounds.unit ? ` ${bounds.unit}` : "";
    throw new ToolArgumentError(
      `invalid ${name}: must be between ${bounds.min} and ${bounds.max}${unit}, got ${value}`,
    );
  }
  return value;
}
