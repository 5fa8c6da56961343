/**
 * What the Docker runtime keeps on the host, under botbox's home (the daemon
 * must run on the same machine: the agent's socket and /data are bind mounts):
 *
 *   bots/<botId>/                  the layout of ../container-layout.ts, nothing more
 *
 * Everything else (the spec, the token, the snapshots' container layers) lives
 * in the daemon: container labels and env, committed images.
 */
export {
  type ContainerBotPaths as DockerBotPaths,
  containerBotPaths as dockerBotPaths,
  snapshotDataDir,
  snapshotKey,
} from "../container-layout.js";
