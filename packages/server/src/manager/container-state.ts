import { CONTAINER_PREFIX, type ContainerRuntime } from "../runtime/runtime.js";
import type { ContainerRecord, ManagerRecords } from "./records.js";

/** The id of a bot's container: one container a bot. */
export const containerIdFor = (botId: string) => `${CONTAINER_PREFIX}${botId}`;

export interface ContainerState {
  botId: string;
  containerId: string;
  image: string;
  status: ContainerRecord["status"] | "missing";
  taskRunning: boolean;
  pid?: number;
  /** What the running task uses now, as far as the backend counts it (TaskInfo). */
  usage?: { memoryBytes?: number; processes?: number };
  record?: ContainerRecord;
}

/**
 * What the backend and the records say of a bot's container: "missing" when
 * the backend has none, whatever the records still hold.
 */
export async function readContainerState(
  runtime: ContainerRuntime,
  records: ManagerRecords,
  botId: string,
  defaultImage: string,
): Promise<ContainerState> {
  const containerId = containerIdFor(botId);
  const [container, record] = await Promise.all([runtime.getContainer(containerId), records.getContainer(botId)]);
  if (!container) {
    return {
      botId,
      containerId,
      image: record?.image ?? defaultImage,
      status: "missing",
      taskRunning: false,
      record,
    };
  }
  const task = await runtime.taskInfo(containerId);
  return {
    botId,
    containerId,
    image: container.image,
    status: record?.status ?? "created",
    taskRunning: task.state === "running",
    pid: task.pid,
    ...(task.memoryBytes === undefined && task.processes === undefined
      ? {}
      : { usage: { memoryBytes: task.memoryBytes, processes: task.processes } }),
    record,
  };
}
