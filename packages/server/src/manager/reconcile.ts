import type { Logger } from "pino";

import { BOT_LABEL, type ContainerRuntime } from "../runtime/runtime.js";
import { containerIdFor } from "./container-state.js";
import type { ManagerRecords } from "./records.js";

export interface ReconcileSummary {
  reattached: string[];
  restarted: string[];
  failed: string[];
}

export interface ReconcileOptions {
  runtime: ContainerRuntime;
  records: ManagerRecords;
  logger: Logger;
  /** Re-attaches to a bot whose task still runs (the manager verifies its agent). */
  attach: (botId: string) => Promise<void>;
  /** Starts a bot whose task is gone. */
  start: (botId: string) => Promise<unknown>;
}

/**
 * At start-up: re-attach to every bot whose task still runs, and start the
 * auto-start bots whose task is gone (the original left those unreachable).
 * One bot's failure is logged and counted; the others go on.
 */
export async function reconcileBots(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { runtime, records, logger } = options;
  const summary: ReconcileSummary = { reattached: [], restarted: [], failed: [] };
  const running = await runtime.listContainers({ [BOT_LABEL]: "" });
  const wanted = new Map((await records.listAutoStart()).map((record) => [record.botId, record]));
  const botIds = new Set([...running.map((container) => container.botId), ...wanted.keys()]);
  await Promise.all(
    [...botIds].map(async (botId) => {
      try {
        const task = await runtime.taskInfo(containerIdFor(botId));
        if (task.state === "running") {
          await options.attach(botId);
          summary.reattached.push(botId);
        } else if (wanted.get(botId)?.status === "running") {
          await options.start(botId);
          summary.restarted.push(botId);
        }
      } catch (error) {
        summary.failed.push(botId);
        logger.error({ botId, err: error }, "reconcile failed for bot");
      }
    }),
  );
  logger.info(summary, "reconciled bots");
  return summary;
}
