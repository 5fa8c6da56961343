import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { configSchema } from "../config/index.js";
import {
  AUTO_BACKEND,
  BACKEND_NAMES,
  BACKEND_SETTINGS,
  backendNamed,
  chooseBackend,
  RUNTIME_BACKENDS,
} from "./backends.js";

function configWith(runtime: Record<string, unknown>, rest: Record<string, unknown> = {}) {
  return configSchema.parse({ runtime, ...rest });
}

describe("the registry of runtime backends", () => {
  it("lists each backend once, and the config accepts exactly those names and auto", () => {
    assert.deepEqual([...BACKEND_NAMES].sort(), ["containerd", "docker", "sandbox"]);
    assert.equal(new Set(BACKEND_NAMES).size, RUNTIME_BACKENDS.length);
    for (const name of [...BACKEND_NAMES, AUTO_BACKEND])
      assert.equal(configWith({ backend: name }).runtime.backend, name);
    assert.throws(() => configWith({ backend: "kubernetes" }), /auto.*sandbox.*docker.*containerd/);
  });

  it("a backend's own section is named after it, defaulted when absent, and refuses unknown keys", () => {
    for (const name of Object.keys(BACKEND_SETTINGS)) assert.ok(BACKEND_NAMES.includes(name), name);
    const defaults = configSchema.parse({});
    assert.equal(defaults.sandbox.network_pool, 2);
    assert.equal(defaults.containerd.bridge, "botbox0");
    assert.throws(() => configWith({}, { sandbox: { network_pol: 3 } }), /network_pol/);
    assert.throws(() => configWith({}, { containerd: { subnet: "10.88.0.0" } }), /IPv4 CIDR/);
  });

  it("a descriptor says whether its runtime can upgrade, as the runtime's class does", async () => {
    // containerd's class needs the API stubs `npm run gen` makes, which the
    // unit tier does not build: test/runtime/contract.ts checks every backend
    // on its live runtime.
    const classes: Record<string, { prototype: object }> = {
      sandbox: (await import("./sandbox/sandbox-runtime.js")).SandboxRuntime,
      docker: (await import("./docker/docker-runtime.js")).DockerRuntime,
    };
    for (const [name, runtimeClass] of Object.entries(classes))
      assert.equal(backendNamed(name).upgrades, "upgradeContainer" in runtimeClass.prototype, name);
  });

  it("names an unknown backend and the ones there are", () => {
    assert.throws(
      () => backendNamed("kubernetes"),
      /"kubernetes" does not exist: one of sandbox, docker, containerd, auto/,
    );
  });

  it("a named backend is chosen as it is, even when its service is not up (doctor says why)", () => {
    const config = configWith(
      { backend: "containerd" },
      { containerd: { socket_path: "/nonexistent/containerd.sock" } },
    );
    assert.equal(chooseBackend(config).name, "containerd");
    assert.match(backendNamed("containerd").unavailable(config)!, /no containerd socket at \/nonexistent/);
  });

  it("auto takes the first that can start; when none can, one error says what was tried and why", () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
    try {
      const none = configWith(
        { backend: "auto" },
        { sandbox: { bwrap_path: "/nonexistent/bwrap" }, containerd: { socket_path: "/nonexistent/containerd.sock" } },
      );
      assert.throws(
        () => chooseBackend(none),
        (error: Error) =>
          /no backend can start here/.test(error.message) &&
          /sandbox: .*\/nonexistent\/bwrap was not found/.test(error.message) &&
          /docker: no Docker daemon socket at \/nonexistent\/docker.sock/.test(error.message) &&
          /containerd: no containerd socket at \/nonexistent\/containerd.sock/.test(error.message),
      );
      const dockerOnly = configWith(
        { backend: "auto" },
        { sandbox: { bwrap_path: "/nonexistent/bwrap" }, containerd: { socket_path: "/nonexistent/containerd.sock" } },
      );
      process.env.DOCKER_HOST = "tcp://127.0.0.1:2375";
      assert.equal(chooseBackend(dockerOnly).name, "docker", "a TCP daemon cannot be ruled out without asking it");
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it("each backend names a default image and compares image references its own way", () => {
    assert.equal(backendNamed("sandbox").defaultImage, "botbox/default");
    assert.equal(backendNamed("docker").defaultImage, "botbox/agent:latest");
    assert.ok(backendNamed("containerd").sameImage("docker.io/botbox/agent:latest", "botbox/agent:latest"));
    assert.ok(!backendNamed("docker").sameImage("botbox/agent:old", "botbox/agent:latest"));
  });
});
