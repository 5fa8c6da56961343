/**
 * The registry of runtime backends: one line per backend. `botbox serve`,
 * `botbox doctor`, images/recreate-bots.ts, the test factories and
 * bench/backends.ts all choose a backend here. A new backend is a folder
 * with a `backend.ts` descriptor (backend.ts says what it holds) and one
 * line below (two when it has a botbox.toml section of its own, in
 * `settings.ts`); nothing else chooses.
 */
import type { BotboxConfig } from "../config/schema.js";
import { UnavailableError } from "../errors.js";
import type { BackendContext, RuntimeBackend } from "./backend.js";
import { containerdBackend } from "./containerd/backend.js";
import { containerdSettings } from "./containerd/settings.js";
import { dockerBackend } from "./docker/backend.js";
import type { ContainerRuntime } from "./runtime.js";
import { sandboxBackend } from "./sandbox/backend.js";
import { sandboxSettings } from "./sandbox/settings.js";

/** In the order `auto` tries them: the one that needs no daemon first. */
export const RUNTIME_BACKENDS: readonly RuntimeBackend[] = [sandboxBackend, dockerBackend, containerdBackend];

/**
 * The backends that have a section of their own in botbox.toml, under their
 * name; the schema in its folder (`settings.ts`) is the section's only
 * definition. Docker has none: it is found as the docker CLI finds it.
 */
export const BACKEND_SETTINGS = { sandbox: sandboxSettings, containerd: containerdSettings } as const;

/** `[runtime] backend = "auto"`: the first backend in RUNTIME_BACKENDS that can start here. */
export const AUTO_BACKEND = "auto";

export const BACKEND_NAMES: readonly string[] = RUNTIME_BACKENDS.map((backend) => backend.name);

export function backendNamed(name: string): RuntimeBackend {
  const backend = RUNTIME_BACKENDS.find((candidate) => candidate.name === name);
  if (!backend)
    throw new UnavailableError(
      `runtime backend "${name}" does not exist: one of ${[...BACKEND_NAMES, AUTO_BACKEND].join(", ")}`,
    );
  return backend;
}

/**
 * The backend `[runtime] backend` names, as it is: one whose daemon is not up
 * yet is still created, and `botbox doctor` says what it lacks. For `auto`,
 * the first that can start here; when none can, one error says what was
 * tried and why each could not start.
 */
export function chooseBackend(config: BotboxConfig): RuntimeBackend {
  if (config.runtime.backend !== AUTO_BACKEND) return backendNamed(config.runtime.backend);
  const reasons: string[] = [];
  for (const backend of RUNTIME_BACKENDS) {
    const reason = backend.unavailable(config);
    if (!reason) return backend;
    reasons.push(`${backend.name}: ${reason}`);
  }
  throw new UnavailableError(`[runtime] backend = "auto", but no backend can start here; tried ${reasons.join("; ")}`);
}

/** The runtime of the chosen backend; `backendNamed(runtime.name)` is its descriptor. */
export function createRuntime(
  config: BotboxConfig,
  context: Omit<BackendContext, "config">,
): Promise<ContainerRuntime> {
  return chooseBackend(config).create({ ...context, config });
}
