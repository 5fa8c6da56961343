// Public face of botbox's configuration. Named exports only.
export { ENVIRONMENT_VARIABLES, type EnvironmentVariable } from "./environment.js";
export { imageRefFor, normalizeImageRef } from "./image-ref.js";
export {
  ConfigError,
  loadConfig,
  type LoadConfigOptions,
  loadConfigWithSources,
  type LoadedConfig,
  type SettingSource,
} from "./load-config.js";
export { maskSecrets } from "./mask-secrets.js";
export { RETIRED_KEYS } from "./retired-keys.js";
export { type BotboxConfig, configSchema } from "./schema.js";
export { listSettings, type Setting } from "./settings.js";
export { renderSettingsTables } from "./settings-table.js";
