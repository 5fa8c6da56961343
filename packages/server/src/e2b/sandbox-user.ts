import { BadRequestError } from "../errors.js";

/** E2B's two users: `root`, and `user`, E2B's unprivileged default (home /home/user). */
const E2B_USERS = new Set(["root", "user"]);

/**
 * The user an E2B call names: connect-rpc calls carry it as HTTP basic
 * auth (`Authorization: Basic base64("<user>:")`), envd's /files routes as
 * `?username=`. Undefined when the call names none (the SDK's default since
 * envd 0.4.0: "the sandbox's default user").
 */
export function requestedUser(authorization: string | undefined, usernameQuery?: string | null): string | undefined {
  if (usernameQuery) return usernameQuery;
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const user = decoded.slice(0, decoded.includes(":") ? decoded.indexOf(":") : undefined);
  return user === "" ? undefined : user;
}

/**
 * E2B's `user` option on what botbox can honour. A bot has one user: every
 * process of it runs as the same uid (root inside the bot's user namespace
 * on the sandbox's bwrap, Docker and containerd; the bot's own unprivileged
 * uid under gVisor). So `root` is honoured where that uid is 0, `user`
 * (E2B's unprivileged user) where it is not, and anything else is refused
 * by name rather than silently run as someone else.
 */
export class SandboxUsers {
  readonly #uids = new Map<string, Promise<number>>();

  /** `uidOf` asks the bot (once per sandbox; the answer is kept): `id -u` in it. */
  constructor(private readonly uidOf: (botId: string) => Promise<number>) {}

  async check(botId: string, user: string | undefined): Promise<void> {
    if (user === undefined) return;
    if (!E2B_USERS.has(user))
      throw new BadRequestError(`user ${JSON.stringify(user)}: an E2B sandbox has the users "root" and "user" only`);
    let uid = this.#uids.get(botId);
    if (!uid) {
      uid = this.uidOf(botId);
      this.#uids.set(botId, uid);
      uid.catch(() => this.#uids.delete(botId));
    }
    const botUid = await uid;
    const honoured = user === "root" ? botUid === 0 : botUid !== 0;
    if (!honoured)
      throw new BadRequestError(
        `user ${JSON.stringify(user)} is not available: botbox runs every command of a sandbox as the bot's one user, ` +
          `which is ${botUid === 0 ? "root (uid 0)" : `uid ${botUid}, not root`} in this bot; ` +
          `give user ${JSON.stringify(botUid === 0 ? "root" : "user")} or none (docs/e2b.md)`,
      );
  }

  /** A sandbox killed: its answer goes with it. */
  forget(botId: string): void {
    this.#uids.delete(botId);
  }
}
