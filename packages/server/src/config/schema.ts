import { z } from "zod";

import { AUTO_BACKEND, BACKEND_NAMES, BACKEND_SETTINGS } from "../runtime/backends.js";
import { DEFAULT_HOME, DEFAULT_HOST, DEFAULT_PORT } from "./server-defaults.js";

// Each default is written once, on its key: a section's `.prefault({})` runs
// the empty section through its keys' defaults, so an absent section and an
// empty one give the same values. `.describe()` texts are the docs' settings
// table (scripts/settings-table.ts writes it into docs/server.md).

const port = z.coerce.number().int().min(0).max(65535);
const bytes = z.coerce.number().int().positive();
const booleanLike = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);

/** Limits every bot gets unless it or `[runtime]` says otherwise: 2 GiB, 1024 processes, one core, 10 GiB of disk. */
export const DEFAULT_LIMITS = { memory_bytes: 2 * 2 ** 30, pids: 1024, cpus: 1, disk_bytes: 10 * 2 ** 30 } as const;

const server = z
  .object({
    host: z.string().min(1).default(DEFAULT_HOST).describe("listen address"),
    port: port.default(DEFAULT_PORT).describe("listen port (`0` picks a free one)"),
    home: z
      .string()
      .min(1)
      .default(DEFAULT_HOME)
      .describe("botbox's state: `botbox.db`, `bots/`, `images/`, `admin-token`"),
    admin_token: z
      .string()
      .min(16)
      .optional()
      .describe("the admin token; unset: read from, or generated into, `<home>/admin-token` (0600)"),
    max_connections: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe("API connections at once; `0`: the smaller of 4096 and half the open-file limit"),
    max_connections_per_peer: z.coerce
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe("API connections from one address; `0`: half of the connections that are not reserved"),
    admin_reserved_connections: z.coerce
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe("connections kept for requests with the admin token once the others are used up"),
    first_request_timeout_seconds: z.coerce
      .number()
      .positive()
      .max(600)
      .default(10)
      .describe("a connection that has not sent its first request's headers by then is closed"),
  })
  .strict();

const database = z
  .object({
    url: z.string().default("").describe("`postgres://…`; empty: the embedded SQLite at `<home>/botbox.db`"),
  })
  .strict();

const runtime = z
  .object({
    backend: z
      .enum([AUTO_BACKEND, ...BACKEND_NAMES] as [string, ...string[]])
      .default("sandbox")
      .describe(`the runtime backend (docs/runtimes.md), or \`${AUTO_BACKEND}\`: the first one that can start here`),
    network: z
      .enum(["isolated", "none", "host"])
      .default("isolated")
      .describe(
        "a bot's network unless it names its own: `isolated` (the internet only), `none` (loopback) or `host` (opt-in, trusted bots only)",
      ),
    isolation: z
      .enum(["namespaces", "gvisor"])
      .default("namespaces")
      .describe("a bot's isolation unless it names its own: `namespaces`, or `gvisor` (gVisor's runsc)"),
    memory_bytes: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_LIMITS.memory_bytes)
      .describe("memory of a bot that sets none; `0`: no default limit"),
    pids: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_LIMITS.pids)
      .describe("processes and threads of a bot that sets none; `0`: no default limit"),
    cpus: z.coerce
      .number()
      .min(0)
      .default(DEFAULT_LIMITS.cpus)
      .describe("cores of a bot that sets none; `0`: no default limit"),
    disk_bytes: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_LIMITS.disk_bytes)
      .describe("hard quota on a bot's writable state, where the backend enforces one; `0`: none"),
    start_timeout_seconds: z.coerce
      .number()
      .positive()
      .default(20)
      .describe("how long a start waits for the bot's agent to answer Info"),
  })
  .strict();

const tools = z
  .object({
    exec_timeout_seconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(30)
      .describe("the LLM `exec` tool's timeout when the call names none"),
    exec_max_timeout_seconds: z.coerce
      .number()
      .int()
      .min(1)
      .max(86_400)
      .default(600)
      .describe("the longest timeout an `exec` call may ask for"),
    background_on_timeout: booleanLike
      .default(true)
      .describe("a foreground `exec` still running at its timeout becomes a background job instead of being killed"),
  })
  .strict()
  .refine((section) => section.exec_timeout_seconds <= section.exec_max_timeout_seconds, {
    message: "exec_timeout_seconds must not exceed exec_max_timeout_seconds",
  });

const files = z
  .object({
    max_upload_bytes: bytes.default(16 * 2 ** 30).describe("largest upload the file manager accepts (413 past it)"),
    max_read_bytes: bytes
      .default(16 * 2 ** 20)
      .describe("largest file `/fs/read` returns as text (413 past it; use `/fs/download`)"),
  })
  .strict();

const media = z
  .object({
    max_bytes: bytes.default(100 * 2 ** 20).describe("largest media file ingested (413 past it)"),
  })
  .strict();

/**
 * A lowercase DNS name of labels of 1 to 63 letters, digits and inner
 * hyphens, whose last label is not all digits (an IPv4 address has no
 * subdomains to give each port).
 */
const DNS_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*(?=[a-z0-9-]*[a-z-])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const ports = z
  .object({
    max_tunnels_per_bot: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(64)
      .describe("requests and WebSockets open at once to one bot's ports through the host (429 past it)"),
    domain: z
      .string()
      .max(180, "must be at most 180 characters, so that `<port>-<bot>.<domain>` stays a valid host name")
      .regex(DNS_NAME, "must be a lowercase DNS name such as `localhost` or `preview.example.com`, not an address")
      .default("localhost")
      .describe("a bot port's own origin is `<port>-<bot>.<domain>`; `*.<domain>` must reach botbox"),
  })
  .strict();

const mcpStdio = z
  .object({
    idle_timeout_seconds: z.coerce
      .number()
      .int()
      .min(1)
      .default(600)
      .describe("stdio MCP sessions unused this long are closed and their servers ended"),
    request_timeout_seconds: z.coerce
      .number()
      .int()
      .min(1)
      .default(60)
      .describe("how long one JSON-RPC request waits for its answer (progress restarts the clock)"),
  })
  .strict();

/** An E2B template name as the SDK sends it: a name, optionally with a `:tag`. */
const E2B_TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const e2bTemplateTable = z.record(
  z.string().regex(E2B_TEMPLATE_NAME, "a template name is letters, digits, `.`, `_`, `-` and `:`"),
  z.string().min(1, "an image reference"),
);
/** `name=image,name=image` (BOTBOX_E2B_TEMPLATES) or a TOML table `{ name = "image" }`. */
const e2bTemplates = z.union([
  e2bTemplateTable,
  z
    .string()
    .transform((text) =>
      Object.fromEntries(
        text
          .split(",")
          .map((pair) => pair.trim())
          .filter(Boolean)
          // A pair without `=` is a name with an empty image, which the table then refuses by name.
          .map((pair) => (pair.includes("=") ? pair.split(/=(.*)/s, 2) : [pair, ""]).map((part) => part.trim())),
      ),
    )
    .pipe(e2bTemplateTable),
]);

const e2b = z
  .object({
    enabled: booleanLike
      .default(false)
      .describe("serve the E2B-compatible API under /e2b and /e2b-sandbox (docs/e2b.md)"),
    templates: e2bTemplates
      .default({})
      .describe(
        'E2B template name → image (`{ python = "python:3.12" }`, env `name=image,…`); `base` unset: the server\'s image',
      ),
  })
  .strict();

// The server's own log and the bots' agent logs (docs/server.md, docs/metrics.md).
const log = z
  .object({
    format: z
      .enum(["auto", "pretty", "json"])
      .default("auto")
      .describe("the server's log: `pretty` short lines, `json` one object a line, `auto` pretty on a terminal only"),
    agent_files: z.coerce
      .number()
      .int()
      .min(1)
      .max(32)
      .default(4)
      .describe("files each bot's agent log is kept in, the live one included (bots created after a change)"),
    agent_file_kib: z.coerce
      .number()
      .int()
      .min(4)
      .max(262_144)
      .default(1024)
      .describe("size in KiB at which a bot's agent log file is rotated; at most `agent_files` × this is kept"),
  })
  .strict();

const metrics = z
  .object({
    token: z
      .string()
      .min(16)
      .optional()
      .describe("a token that may read `GET /metrics` and nothing else (the admin token may too; docs/metrics.md)"),
  })
  .strict();

// The original's [mcp] section keeps the keys botbox reads, with their
// meaning; the ones it never read are retired (retired-keys.ts).
const mcp = z
  .object({
    image: z
      .string()
      .min(1)
      .optional()
      .describe("image of new bots; unset: the backend's default image (docs/runtimes.md)"),
    registry: z.string().default("").describe("registry an `image` without one is pulled from, as the original did"),
    data_root: z
      .string()
      .default("data")
      .describe(
        "where legacy `bots/<id>` data is copied from into a bot's `/data`, once; relative to the working folder",
      ),
  })
  .strict();

/** Each backend's section, defaulted as a whole like the sections above. */
function prefaulted<Sections extends Record<string, z.ZodObject>>(
  sections: Sections,
): { [Key in keyof Sections]: z.ZodPrefault<Sections[Key]> } {
  const entries = Object.entries(sections).map(([key, section]) => [key, section.prefault({})]);
  return Object.fromEntries(entries) as { [Key in keyof Sections]: z.ZodPrefault<Sections[Key]> };
}

/** Every setting botbox reads, with its default. Keys mirror botbox.toml sections. */
export const configSchema = z
  .object({
    server: server.prefault({}),
    database: database.prefault({}),
    runtime: runtime.prefault({}),
    // Each backend's own section ([sandbox], [containerd]), from its folder.
    ...prefaulted(BACKEND_SETTINGS),
    tools: tools.prefault({}),
    files: files.prefault({}),
    media: media.prefault({}),
    ports: ports.prefault({}),
    mcp_stdio: mcpStdio.prefault({}),
    mcp: mcp.prefault({}),
    e2b: e2b.prefault({}),
    metrics: metrics.prefault({}),
    log: log.prefault({}),
  })
  .strict();

export type BotboxConfig = z.infer<typeof configSchema>;
