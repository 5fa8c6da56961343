// The runtime contract on the FakeRuntime (real agents as plain host
// processes): runs without root, daemons or network. Nothing is skipped by
// name: what the fake cannot enforce, the contract checks it refuses.
import { FakeRuntime } from "../support/fake-runtime.js";
import { runRuntimeContract } from "./contract.js";
import { runtimesInHomes } from "./contract-context.js";

runRuntimeContract({ name: "fake", ...runtimesInHomes((home) => new FakeRuntime({ home })) });
