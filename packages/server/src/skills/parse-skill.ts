import { parse as parseYaml } from "yaml";

export interface Skill {
  name: string;
  description: string;
  content: string;
  metadata?: Record<string, unknown>;
  /** The SKILL.md text as stored. */
  raw: string;
}

export interface ParsedSkill {
  skill: Skill;
  /** Why the frontmatter was not used, when it was there but unusable. */
  problem?: string;
}

/**
 * Parses a SKILL.md: optional YAML frontmatter between `---`
 * lines with `name`, `description` and `metadata`, then the body. Without
 * usable frontmatter the skill takes `fallbackName` and the body as content.
 */
export function parseSkill(raw: string, fallbackName: string): ParsedSkill {
  const text = raw.trim();
  const split = splitFrontmatter(text);
  if (!split) return { skill: normalize({ name: "", description: "", content: text }, fallbackName, raw) };
  let data: unknown;
  try {
    data = parseYaml(split.frontmatter);
  } catch (error) {
    return fallback(split.body, fallbackName, raw, `invalid frontmatter YAML: ${(error as Error).message}`);
  }
  if (data === null || data === undefined) data = {};
  if (!isMapping(data)) return fallback(split.body, fallbackName, raw, "the frontmatter is not a YAML mapping");
  const name = scalarText(data.name);
  const description = scalarText(data.description);
  if (name === undefined) return fallback(split.body, fallbackName, raw, "name must be a string");
  if (description === undefined) return fallback(split.body, fallbackName, raw, "description must be a string");
  if (data.metadata !== undefined && data.metadata !== null && !isMapping(data.metadata)) {
    return fallback(split.body, fallbackName, raw, "metadata must be a mapping");
  }
  const metadata = isMapping(data.metadata) ? data.metadata : undefined;
  return { skill: normalize({ name, description, content: split.body, metadata }, fallbackName, raw) };
}

/** The first line `---`, then everything up to the next line that starts with `---`. */
function splitFrontmatter(text: string): { frontmatter: string; body: string } | undefined {
  if (!text.startsWith("---")) return undefined;
  const firstLineEnd = text.indexOf("\n");
  if (firstLineEnd < 0) return undefined;
  const rest = text.slice(firstLineEnd);
  const close = rest.indexOf("\n---");
  if (close < 0) return undefined;
  // A CRLF file leaves a lone "\r" before the closing line, which YAML refuses.
  return { frontmatter: rest.slice(0, close).replace(/\r$/, ""), body: rest.slice(close + 4).replace(/^[\r\n]+/, "") };
}

function fallback(body: string, fallbackName: string, raw: string, problem: string): ParsedSkill {
  return { skill: normalize({ name: "", description: "", content: body }, fallbackName, raw), problem };
}

/** Name defaults to the fallback, then "default"; description to the name; content to the description. */
function normalize(
  fields: { name: string; description: string; content: string; metadata?: Record<string, unknown> },
  fallbackName: string,
  raw: string,
): Skill {
  const name = fields.name.trim() || fallbackName.trim() || "default";
  const description = fields.description.trim() || name;
  const content = fields.content.trim() || description;
  return { name, description, content, ...(fields.metadata ? { metadata: fields.metadata } : {}), raw };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A YAML scalar as text (`name: 42` is "42", as Go's decoder gave); undefined for maps and lists. */
function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}
