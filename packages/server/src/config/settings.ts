import type { z } from "zod";

import { configSchema } from "./schema.js";

/** Short names people expect, besides the BOTBOX_<SECTION>_<KEY> form. */
export const ENV_ALIASES: Readonly<Record<string, readonly [section: string, key: string]>> = {
  BOTBOX_HOST: ["server", "host"],
  BOTBOX_PORT: ["server", "port"],
  BOTBOX_HOME: ["server", "home"],
  BOTBOX_ADMIN_TOKEN: ["server", "admin_token"],
  DATABASE_URL: ["database", "url"],
  BOTBOX_RUNTIME: ["runtime", "backend"],
};

/** One key of botbox.toml, as the schema declares it. */
export interface Setting {
  section: string;
  key: string;
  /** `section.key`. */
  path: string;
  field: z.ZodType;
  description: string;
  /** Variables that set it: the aliases first, then BOTBOX_<SECTION>_<KEY>. */
  envNames: string[];
}

interface Wrapped {
  def: { type: string; innerType?: z.ZodType; in?: z.ZodType };
  description?: string;
}

/** The schema under defaults, optionals and refinements: the object or scalar itself. */
export function unwrapField(field: z.ZodType): z.ZodType {
  let current = field as unknown as Wrapped;
  while (current.def.innerType ?? (current.def.type === "pipe" ? current.def.in : undefined)) {
    current = (current.def.innerType ?? current.def.in) as unknown as Wrapped;
  }
  return current as unknown as z.ZodType;
}

/** The first description on the way down through a field's wrappers. */
function descriptionOf(field: z.ZodType): string {
  let current: Wrapped | undefined = field as unknown as Wrapped;
  while (current) {
    if (current.description) return current.description;
    current = current.def.innerType as unknown as Wrapped | undefined;
  }
  return "";
}

/** Every key of every section, in the schema's order. */
export function listSettings(): Setting[] {
  const settings: Setting[] = [];
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    const shape = (unwrapField(sectionSchema) as unknown as { shape: Record<string, z.ZodType> }).shape;
    for (const [key, field] of Object.entries(shape)) {
      const aliases = Object.entries(ENV_ALIASES)
        .filter(([, target]) => target[0] === section && target[1] === key)
        .map(([name]) => name);
      settings.push({
        section,
        key,
        path: `${section}.${key}`,
        field,
        description: descriptionOf(field),
        envNames: [...aliases, `BOTBOX_${section}_${key}`.toUpperCase()],
      });
    }
  }
  return settings;
}
