import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The admin token: the configured one, else the one in <home>/admin-token,
 * else a new one written there with mode 0600 on first start.
 */
export async function loadAdminToken(
  home: string,
  configured: string | undefined,
): Promise<{ token: string; file?: string }> {
  if (configured) return { token: configured };
  const file = path.join(home, "admin-token");
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing) {
    // A token file copied in or made by hand with the umask's 0644 would let any local user act as admin.
    await chmod(file, 0o600);
    return { token: existing, file };
  }
  const token = `bbx_admin_${randomBytes(24).toString("hex")}`;
  // "wx": two servers starting at once must not both write a token.
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: "wx" }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return { token: (await readFile(file, "utf8")).trim(), file };
}
