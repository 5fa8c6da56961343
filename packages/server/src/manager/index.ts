// Public face of the manager. Named exports only.
export { BotManager, type BotManagerOptions } from "./bot-manager.js";
export { containerIdFor, type ContainerState } from "./container-state.js";
export { exportData, importData, type ImportOptions } from "./data-transfer.js";
export { migrateLegacyData, type MigrationResult } from "./legacy-migration.js";
export type { BotRecord, ContainerRecord, ContainerStatus, ManagerRecords, NewBotInput } from "./records.js";
export { type SnapshotResult, SnapshotService, type SnapshotSource, type SnapshotView } from "./snapshots.js";
export { AgentSupervisor, type SupervisorOptions } from "./supervisor.js";
export { UnpackedTooLargeError } from "./tar-member-check.js";
export { waitForAgent } from "./wait-for-agent.js";
