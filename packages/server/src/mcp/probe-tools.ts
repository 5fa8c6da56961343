import type { McpLogger } from "./session-config.js";
import type { StdioSession } from "./stdio-session.js";

/**
 * The probe after a session starts, as the original's: the server's tool names, trimmed,
 * non-empty and sorted, within 8 s. A failure or an empty list is only
 * logged, and gives undefined (the response then omits `tools`).
 */
export async function probeTools(
  session: StdioSession,
  logger: McpLogger,
  timeoutMs = 8_000,
): Promise<string[] | undefined> {
  const fields = { botId: session.botId, mcpSession: session.id, mcpServer: session.name };
  try {
    const tools = await session.listTools({ timeoutMs });
    const names = tools.map((tool) => tool.name.trim()).filter((name) => name !== "");
    if (names.length === 0) {
      logger.info(fields, "mcp tool probe found no tools");
      return undefined;
    }
    return names.sort();
  } catch (error) {
    logger.warn({ ...fields, err: error }, "mcp tool probe failed");
    return undefined;
  }
}
