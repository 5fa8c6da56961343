import type { ContainerRuntime } from "../runtime/runtime.js";
import type { ServerMetrics } from "./server-metrics.js";

/**
 * The runtime as the snapshot service sees it, with its commits and restores
 * timed: the runtime's own work, without the stop and start of the task
 * around it (which the lifecycle events and request times show).
 */
export function timedSnapshots(runtime: ContainerRuntime, metrics: ServerMetrics): ContainerRuntime {
  return new Proxy(runtime, {
    get(target, key) {
      if (key === "commitSnapshot")
        return (id: string, name: string) => metrics.timeSnapshot("commit", () => target.commitSnapshot(id, name));
      if (key === "restoreSnapshot")
        return (id: string, name: string) => metrics.timeSnapshot("restore", () => target.restoreSnapshot(id, name));
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
