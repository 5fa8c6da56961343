// Public face of botbox's configuration. Named exports only.
export { imageRefFor, normalizeImageRef } from "./image-ref.js";
export { ConfigError, loadConfig, type LoadConfigOptions } from "./load-config.js";
export { type BotboxConfig, configSchema } from "./schema.js";
