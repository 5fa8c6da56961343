import { SandboxRuntime } from "../../packages/server/src/runtime/sandbox/index.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";
import { runRuntimeContract } from "./contract.js";
import { runtimesInHomes } from "./contract-context.js";

runRuntimeContract({
  name: "sandbox",
  ...runtimesInHomes((home) => new SandboxRuntime({ home, agentBundle: AGENT_BUNDLE })),
});
