// The create-bot form's fields → the body of POST /bots. The server checks
// everything again and is the authority (its 400 names the field); the
// checks here catch what a person mistypes before a round trip, with the
// same bounds the API has (docs/server.md, "Bots").

const MIB = 2 ** 20;

/** The API's least limits (and the form inputs' min attributes). */
export const LIMIT_MINIMUMS = { memoryMib: 16, pids: 8, cpus: 0.01, diskMib: 64 } as const;

/** The most CPUs a bot may be given, as the API allows. */
export const MAX_CPUS = 1024;

/** Entries per egress list, as the API allows. */
export const MAX_EGRESS_ENTRIES = 256;

/** A field the form refuses, named as the form labels it. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "FieldError";
  }
}

/** Entries one per line (commas too, as people paste them). */
const entriesOf = (text: string) =>
  text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);

function checkEgress(field: string, entries: string[]): string[] {
  if (entries.length > MAX_EGRESS_ENTRIES)
    throw new FieldError(field, `${entries.length} entries; at most ${MAX_EGRESS_ENTRIES}`);
  for (const entry of entries)
    if (/\s/.test(entry) || entry.length > 253)
      throw new FieldError(field, `${JSON.stringify(entry)} is not an address, CIDR or host name`);
  return entries;
}

/** The body of POST /bots from the form; empty fields are left to the server's defaults. FieldError when one is wrong. */
export function newBotBody(form: FormData): Record<string, unknown> {
  const text = (name: string) => String(form.get(name) ?? "").trim();
  const number = (
    name: string,
    field: string,
    least: number,
    options: { integer?: boolean; scale?: number; most?: number } = {},
  ) => {
    if (text(name) === "") return undefined;
    const value = Number(text(name));
    if (!Number.isFinite(value)) throw new FieldError(field, `${JSON.stringify(text(name))} is not a number`);
    if (options.integer && !Number.isInteger(value)) throw new FieldError(field, `${value} is not a whole number`);
    if (value < least) throw new FieldError(field, `${value} is below the least the API allows, ${least}`);
    if (options.most !== undefined && value > options.most)
      throw new FieldError(field, `${value} is above the most the API allows, ${options.most}`);
    // Whole bytes: the API counts memory and disk in bytes.
    return options.scale ? Math.round(value * options.scale) : value;
  };
  const network = text("network");
  const limits = Object.fromEntries(
    Object.entries({
      memory_bytes: number("memory_mib", "Memory (MiB)", LIMIT_MINIMUMS.memoryMib, { scale: MIB }),
      cpus: number("cpus", "CPUs", LIMIT_MINIMUMS.cpus, { most: MAX_CPUS }),
      pids: number("pids", "Processes (pids)", LIMIT_MINIMUMS.pids, { integer: true }),
      disk_bytes: number("disk_mib", "Disk (MiB)", LIMIT_MINIMUMS.diskMib, { scale: MIB }),
    }).filter(([, value]) => value !== undefined),
  );
  let egress: { allow?: string[]; deny?: string[] } | undefined;
  if (network === "isolated") {
    const allowText = text("egress_allow");
    // "none" alone: nothing outside at all (allow: []); empty: the internet (no allow list).
    const allowEntries = entriesOf(allowText);
    if (allowEntries.length > 1 && allowEntries.some((entry) => entry.toLowerCase() === "none"))
      throw new FieldError("Egress allow", '"none" stands alone: it allows nothing, so no other entry can be allowed');
    const allow = allowText.toLowerCase() === "none" ? [] : checkEgress("Egress allow", allowEntries);
    const deny = checkEgress("Egress deny", entriesOf(text("egress_deny")));
    if (allowText !== "" || deny.length > 0)
      egress = { ...(allowText === "" ? {} : { allow }), ...(deny.length ? { deny } : {}) };
  }
  return {
    name: text("name"),
    ...(text("id") ? { id: text("id") } : {}),
    ...(network ? { network } : {}),
    ...(text("isolation") ? { isolation: text("isolation") } : {}),
    ...(egress ? { egress } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
    auto_start: form.get("auto_start") === "on",
  };
}
