export { type BotSample, BotUsageSampler, type BotUsageSamplerOptions, mapLimited } from "./bot-usage.js";
export { installHttpMetrics } from "./http-metrics.js";
export { EXEC_ROUTES, ServerMetrics } from "./server-metrics.js";
export { timedSnapshots } from "./timed-snapshots.js";
