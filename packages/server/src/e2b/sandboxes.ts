import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

import type { Logger } from "pino";

import { BadRequestError, ForbiddenError, NotFoundError } from "../errors.js";
import type { Principal } from "../http/auth.js";
import type { BotDirectory } from "../http/routes/bots.js";
import type { BotManager, BotRecord } from "../manager/index.js";
import type { E2bSandboxConfig, Store } from "../store/index.js";
import { UnsupportedE2bError } from "./e2b-errors.js";
import { SandboxUsers } from "./sandbox-user.js";

/** The prefix of the bots the E2B front end makes: it sees and kills only those (docs/e2b.md). */
export const SANDBOX_ID_PREFIX = "e2b-";
/**
 * The envd version the front end answers as. The SDK picks its protocol by
 * it: 0.5.7 is the first with stdin close and octet-stream uploads, and below
 * 0.6.2 it asks for no file metadata, which botbox does not keep.
 */
export const ENVD_VERSION = "0.5.7";
/** E2B's default sandbox lifetime when `timeout` is not given, and the longest one allowed here. */
const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_TIMEOUT_SECONDS = 24 * 3600;
/** The SDK's default template: the server's image unless `[e2b] templates` maps `base` elsewhere. */
export const DEFAULT_TEMPLATE = "base";

/**
 * A sandbox's lifetime; in memory, so a restart re-arms it (see `#recordFor`).
 * Its template, metadata and envs are kept in the bot's row (E2bSandboxConfig).
 */
interface SandboxRecord {
  startedAt: Date;
  endAt: Date;
  timer?: NodeJS.Timeout;
}

export interface SandboxRegistryOptions {
  bots: BotDirectory;
  /** Where a sandbox's template, metadata and envs are kept, with its bot. */
  store: Pick<Store, "createBot" | "getBot" | "listBots">;
  manager: BotManager;
  /** `[e2b] templates`: template name → image ref; `base` absent or undefined is the server's own image. */
  templates: ReadonlyMap<string, string | undefined>;
  /** Signs the per-sandbox envd access tokens: the server's admin token. */
  secret: string;
  logger: Logger;
}

/** `Sandbox.list({ query })`: every condition given must hold. */
export interface SandboxListFilter {
  metadata?: Record<string, string>;
  states?: string[];
  template?: string;
  startedAfter?: Date;
}

export interface NewSandboxInput {
  templateID?: unknown;
  timeout?: unknown;
  metadata?: unknown;
  envVars?: unknown;
  [option: string]: unknown;
}

/**
 * Create options of E2B's that botbox cannot honour, refused by name (501)
 * when given a value other than E2B's default, never silently dropped.
 */
const UNSUPPORTED_CREATE_OPTIONS: Array<[string, (value: unknown) => boolean, string]> = [
  ["autoPause", (value) => value === true, "pausing a sandbox on timeout (lifecycle.onTimeout)"],
  ["autoResume", (value) => value !== undefined && value !== null, "resuming a paused sandbox (lifecycle.autoResume)"],
  ["allow_internet_access", (value) => value === false, "cutting a sandbox off the internet (allowInternetAccess)"],
  ["network", (value) => value !== undefined && value !== null, "a sandbox network configuration (network)"],
  ["iam", (value) => value !== undefined && value !== null, "sandbox IAM (iam)"],
  ["mcp", (value) => value !== undefined && value !== null, "E2B's MCP gateway (mcp)"],
  ["volumeMounts", (value) => Array.isArray(value) && value.length > 0, "volume mounts (volumeMounts)"],
];

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new BadRequestError(`${field}: must be an object of strings`);
  for (const [key, item] of Object.entries(value))
    if (typeof item !== "string") throw new BadRequestError(`${field}.${key}: must be a string`);
  return value as Record<string, string>;
}

function timeoutSeconds(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_TIMEOUT_SECONDS;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_TIMEOUT_SECONDS)
    throw new BadRequestError(`timeout: must be whole seconds from 0 to ${MAX_TIMEOUT_SECONDS}`);
  return value;
}

/**
 * E2B sandboxes as botbox bots: each is a bot named `e2b-<hex>` with its
 * container running, killed (bot and data deleted) when its timeout ends, as
 * E2B does. Access follows botbox's tokens: the admin sees every E2B sandbox,
 * a bot token only its own bot and cannot create or kill.
 */
export class SandboxRegistry {
  readonly #options: SandboxRegistryOptions;
  readonly #records = new Map<string, SandboxRecord>();
  /** Each sandbox's stored create options, read once from its bot's row. */
  readonly #configs = new Map<string, Promise<E2bSandboxConfig>>();
  readonly #users: SandboxUsers;

  constructor(options: SandboxRegistryOptions) {
    this.#options = options;
    this.#users = new SandboxUsers(async (botId) => {
      const result = await (await options.manager.agentFor(botId)).exec("id -u");
      const uid = Number(result.stdout.trim());
      if (result.exitCode !== 0 || !Number.isInteger(uid))
        throw new Error(`could not tell the user of sandbox ${botId}: \`id -u\` answered ${JSON.stringify(result)}`);
      return uid;
    });
  }

  /** E2B's `user` option for a call to `sandboxId`: honoured where it can be, else a 400 naming it (sandbox-user.ts). */
  checkUser(sandboxId: string, user: string | undefined): Promise<void> {
    return this.#users.check(sandboxId, user);
  }

  /**
   * The sandbox's envd access token: an HMAC of its id under the server's
   * secret, so it needs no storage, survives restarts, and one sandbox's
   * token opens no other.
   */
  envdAccessToken(sandboxId: string): string {
    return createHmac("sha256", this.#options.secret).update(`e2b-envd:${sandboxId}`).digest("hex");
  }

  checkEnvdAccessToken(sandboxId: string, token: string): boolean {
    const expected = Buffer.from(this.envdAccessToken(sandboxId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The environment E2B's `envs` at create gave every command of the sandbox (kept with its bot). */
  async envVarsOf(sandboxId: string): Promise<Record<string, string>> {
    return (await this.#configOf(sandboxId)).envs;
  }

  /** Whether `template` names one of this server's templates (`base` always does). */
  hasTemplate(template: string): boolean {
    return template === DEFAULT_TEMPLATE || this.#options.templates.has(template);
  }

  /** The image a template runs on: undefined for the server's own; a 404 in E2B's shape naming an unknown one. */
  #imageOf(template: string): string | undefined {
    const { templates } = this.#options;
    if (templates.has(template)) return templates.get(template);
    if (template === DEFAULT_TEMPLATE) return undefined;
    const known = [...new Set([DEFAULT_TEMPLATE, ...templates.keys()])].map((name) => JSON.stringify(name));
    throw new NotFoundError(
      `template ${JSON.stringify(template)} not found: this server's templates are ${known.join(", ")} ([e2b] templates, docs/e2b.md)`,
    );
  }

  async create(principal: Principal, input: NewSandboxInput) {
    if (principal.kind !== "admin") throw new ForbiddenError("creating a sandbox needs the admin token's E2B key");
    const template = input.templateID ?? DEFAULT_TEMPLATE;
    if (typeof template !== "string" || template === "")
      throw new BadRequestError("templateID: must be a template name");
    for (const [option, given, what] of UNSUPPORTED_CREATE_OPTIONS)
      if (given(input[option])) throw new UnsupportedE2bError(what);
    const image = this.#imageOf(template);
    const seconds = timeoutSeconds(input.timeout);
    const config: E2bSandboxConfig = {
      template,
      metadata: stringMap(input.metadata, "metadata"),
      envs: stringMap(input.envVars, "envVars"),
    };
    const id = `${SANDBOX_ID_PREFIX}${randomBytes(8).toString("hex")}`;
    const { store, manager } = this.#options;
    await store.createBot({ id, displayName: id, config: { e2b: config, ...(image ? { image } : {}) } });
    this.#configs.set(id, Promise.resolve(config));
    try {
      await manager.start(id);
    } catch (error) {
      await this.#destroy(id).catch(() => undefined);
      throw error;
    }
    const startedAt = new Date();
    const record: SandboxRecord = { startedAt, endAt: startedAt };
    this.#records.set(id, record);
    this.#arm(id, record, seconds);
    return this.#created(id, config);
  }

  async connect(principal: Principal, sandboxId: string, timeout: unknown) {
    const { bot, record } = await this.#find(principal, sandboxId);
    if (timeout !== undefined) this.#arm(bot.id, record, timeoutSeconds(timeout));
    if (!(await this.#options.manager.state(bot.id)).taskRunning) await this.#options.manager.start(bot.id);
    return this.#created(bot.id, await this.#configOf(bot.id));
  }

  async get(principal: Principal, sandboxId: string) {
    const { bot, record } = await this.#find(principal, sandboxId);
    return { ...(await this.#listed(bot, record)), envdAccessToken: this.envdAccessToken(bot.id), domain: null };
  }

  /** A sandbox's create options from its bot's row; a bot made before they were kept has the defaults. */
  #configOf(sandboxId: string): Promise<E2bSandboxConfig> {
    let config = this.#configs.get(sandboxId);
    if (!config) {
      config = this.#options.store
        .getBot(sandboxId)
        .then((bot) => bot?.config.e2b ?? { template: DEFAULT_TEMPLATE, metadata: {}, envs: {} });
      this.#configs.set(sandboxId, config);
      config.catch(() => this.#configs.delete(sandboxId));
    }
    return config;
  }

  async list(principal: Principal, filter: SandboxListFilter = {}) {
    const bots = (await this.#options.bots.listBots()).filter(
      (bot) => bot.id.startsWith(SANDBOX_ID_PREFIX) && (principal.kind === "admin" || principal.botId === bot.id),
    );
    const listed = await Promise.all(bots.map((bot) => this.#listed(bot, this.#recordFor(bot))));
    return listed.filter(
      (sandbox) =>
        Object.entries(filter.metadata ?? {}).every(([key, value]) => sandbox.metadata[key] === value) &&
        (!filter.states || filter.states.includes(sandbox.state)) &&
        (!filter.template || sandbox.templateID === filter.template) &&
        (!filter.startedAfter || new Date(sandbox.startedAt) > filter.startedAfter),
    );
  }

  async kill(principal: Principal, sandboxId: string): Promise<void> {
    const { bot } = await this.#find(principal, sandboxId);
    if (principal.kind !== "admin") throw new ForbiddenError("killing a sandbox needs the admin token's E2B key");
    await this.#destroy(bot.id);
  }

  async setTimeout(principal: Principal, sandboxId: string, timeout: unknown): Promise<void> {
    const { bot, record } = await this.#find(principal, sandboxId);
    this.#arm(bot.id, record, timeoutSeconds(timeout));
  }

  /** Stops the kill timers (server shutdown); the sandboxes' bots stay and are re-armed at the next start. */
  close(): void {
    for (const record of this.#records.values()) clearTimeout(record.timer);
  }

  /** The bot behind `sandboxId` as `principal` may see it: another's, or not an E2B one, is not found. */
  async #find(principal: Principal, sandboxId: string): Promise<{ bot: BotRecord; record: SandboxRecord }> {
    const visible = principal.kind === "admin" || principal.botId === sandboxId;
    const bot =
      visible && sandboxId.startsWith(SANDBOX_ID_PREFIX) ? await this.#options.bots.getBot(sandboxId) : undefined;
    if (!bot) throw new NotFoundError(`sandbox ${sandboxId} not found`);
    return { bot, record: this.#recordFor(bot) };
  }

  /** A sandbox made before this server started gets a new record and E2B's default timeout from now. */
  #recordFor(bot: BotRecord): SandboxRecord {
    let record = this.#records.get(bot.id);
    if (!record) {
      record = { startedAt: bot.createdAt, endAt: new Date() };
      this.#records.set(bot.id, record);
      this.#arm(bot.id, record, DEFAULT_TIMEOUT_SECONDS);
    }
    return record;
  }

  #arm(sandboxId: string, record: SandboxRecord, seconds: number): void {
    clearTimeout(record.timer);
    record.endAt = new Date(Date.now() + seconds * 1000);
    record.timer = setTimeout(() => {
      void this.#destroy(sandboxId).then(
        () => this.#options.logger.info({ botId: sandboxId }, "E2B sandbox timed out: killed"),
        (error: unknown) =>
          this.#options.logger.error({ botId: sandboxId, err: error }, "could not kill a timed-out E2B sandbox"),
      );
    }, seconds * 1000);
    record.timer.unref();
  }

  async #destroy(sandboxId: string): Promise<void> {
    clearTimeout(this.#records.get(sandboxId)?.timer);
    this.#records.delete(sandboxId);
    this.#configs.delete(sandboxId);
    this.#users.forget(sandboxId);
    await this.#options.manager.deleteContainer(sandboxId, { discardKeptData: true });
    await this.#options.bots.deleteBot(sandboxId);
  }

  #created(sandboxId: string, config: E2bSandboxConfig) {
    return {
      templateID: config.template,
      sandboxID: sandboxId,
      clientID: "botbox",
      envdVersion: ENVD_VERSION,
      envdAccessToken: this.envdAccessToken(sandboxId),
      domain: null,
    };
  }

  async #listed(bot: BotRecord, record: SandboxRecord) {
    const { limits } = this.#options.manager.settingsOf(bot);
    const running = (await this.#options.manager.state(bot.id)).taskRunning;
    const config = await this.#configOf(bot.id);
    return {
      templateID: config.template,
      sandboxID: bot.id,
      clientID: "botbox",
      startedAt: record.startedAt.toISOString(),
      endAt: record.endAt.toISOString(),
      // 0 where the server sets no limit: E2B's fields are required numbers.
      cpuCount: limits.cpus ?? 0,
      memoryMB: limits.memoryBytes ? Math.floor(limits.memoryBytes / 2 ** 20) : 0,
      diskSizeMB: limits.diskBytes ? Math.floor(limits.diskBytes / 2 ** 20) : 0,
      metadata: config.metadata,
      // A stopped bot is the nearest thing to E2B's paused sandbox: connect starts it again.
      state: running ? "running" : "paused",
      envdVersion: ENVD_VERSION,
    };
  }
}
