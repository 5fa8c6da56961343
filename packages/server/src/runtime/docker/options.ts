/** How a DockerRuntime is set up (botbox.toml's runtime.docker section ends up here). */

export const DEFAULT_BRIDGE = "botbox-bots";

export interface DockerRuntimeOptions {
  /** botbox's state folder: bots' sockets, /data folders and snapshot copies live under it. */
  home: string;
  /** `unix:///path.sock` or `tcp://host:port`; default: DOCKER_HOST, else /var/run/docker.sock. */
  dockerHost?: string;
  /**
   * The Docker network of bots whose network is `isolated` or `host`: a
   * bridge made with inter-container traffic disabled, so bots cannot reach
   * each other; the host firewall narrows isolated bots' traffic further.
   * Default `botbox-bots`.
   */
  bridgeNetwork?: string;
  /** Image tars loaded when their ref is first needed, e.g. `{ "botbox/agent:latest": "images/dist/botbox-agent.tar" }`. */
  knownImages?: Record<string, string>;
  /** Layers a snapshot's image may have before its commit is flattened into one. Default 100. */
  maxSnapshotLayers?: number;
  /** The daemon's runtime name for gVisor's runsc (daemon.json "runtimes"). Default `runsc`. */
  gvisorRuntime?: string;
}
