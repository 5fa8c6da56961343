export { type BotSample, BotUsageSampler, type BotUsageSamplerOptions, mapLimited } from "./bot-usage.js";
export { E2B_EXEC_PATH, timeE2bExec, timeExecTool } from "./exec-timing.js";
export { installHttpMetrics } from "./http-metrics.js";
export { EXEC_ROUTES, type ExecKind, ServerMetrics } from "./server-metrics.js";
export { timedSnapshots } from "./timed-snapshots.js";
