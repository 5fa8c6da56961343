/**
 * Environment variables botbox reads that are not `botbox.toml` keys: where
 * a process finds its files, the client's server and token, and what the
 * server hands a bot's agent. Settings of the server itself are keys of the
 * schema instead (`BOTBOX_<SECTION>_<KEY>`, aliases in load-config.ts), so
 * that `botbox config print` shows them and their source.
 *
 * loadConfig leaves these names alone even where they look like a section's
 * (BOTBOX_CONTAINERD_ID_REGISTRY is not a `[containerd]` key), and a test
 * checks that every variable the code reads is here or in the schema.
 */
export interface EnvironmentVariable {
  name: string;
  /** Who reads it: the server, the `botbox` client commands, or a bot's agent. */
  readBy: "server" | "client" | "agent" | "tests";
  meaning: string;
}

export const ENVIRONMENT_VARIABLES: readonly EnvironmentVariable[] = [
  {
    name: "BOTBOX_AGENT_BUNDLE",
    readBy: "server",
    meaning: "the agent bundle the sandbox backend runs; default: the one `npm run build` made",
  },
  {
    name: "BOTBOX_HOST_ID_REGISTRY",
    readBy: "server",
    meaning: "the machine-wide record of the sandbox's host uid/gid ranges; default `/var/lib/botbox/host-ids`",
  },
  {
    name: "BOTBOX_CONTAINERD_ID_REGISTRY",
    readBy: "server",
    meaning:
      "the machine-wide record of containerd bots' uid/gid ranges; default `/var/lib/botbox/containerd-id-ranges`",
  },
  { name: "DOCKER_HOST", readBy: "server", meaning: "the Docker daemon the docker backend talks to" },
  { name: "PATH", readBy: "server", meaning: "where `bwrap`, `runsc`, containerd's shim and CNI tools are looked up" },
  { name: "BOTBOX_URL", readBy: "client", meaning: "the server the `botbox` client commands talk to" },
  { name: "BOTBOX_TOKEN", readBy: "client", meaning: "the API token of the client commands" },
  {
    name: "BOTBOX_CLI_CONFIG",
    readBy: "client",
    meaning: "the client's config file (`url`, `token`); default `$XDG_CONFIG_HOME/botbox/config.toml`",
  },
  { name: "XDG_CONFIG_HOME", readBy: "client", meaning: "base of the client's config file; default `~/.config`" },
  {
    name: "BOTBOX_AGENT_CODE_CACHE",
    readBy: "agent",
    meaning: "a V8 code cache the agent starts with; the server sets it, a stale one is ignored",
  },
  {
    name: "BOTBOX_AGENT_CODE_CACHE_WRITE",
    readBy: "agent",
    meaning: "where the agent writes a new code cache; set by the server only, never for a bot's own use",
  },
  { name: "BOTBOX_AGENT_TOKEN", readBy: "agent", meaning: "the bearer token the agent requires; set by the server" },
  { name: "BOTBOX_BOT_ID", readBy: "agent", meaning: "the bot the agent serves; set by the server" },
  { name: "BOTBOX_DATA_DIR", readBy: "agent", meaning: "the bot's data folder; default `/data`" },
  {
    name: "BOTBOX_TEMPLATE_DIR",
    readBy: "agent",
    meaning: "the template copied into a new bot; default `/opt/mcp-template`",
  },
  { name: "MCP_LISTEN_ADDR", readBy: "agent", meaning: "`:port`, `host:port` or `unix:/path`; default `:9090`" },
  {
    name: "BOTBOX_STATE_DIR",
    readBy: "agent",
    meaning:
      "where the process supervisor's keepers keep logs and exit records; default the socket's folder (`/run/botbox`)",
  },
  {
    name: "BOTBOX_AGENT_LOG_FILES",
    readBy: "agent",
    meaning:
      "files the agent keeps its log in beside its socket (`agent.log`, `.1`, …); unset or `0`: none; the server sets it",
  },
  {
    name: "BOTBOX_AGENT_LOG_FILE_BYTES",
    readBy: "agent",
    meaning:
      "size at which the agent rotates `agent.log`, at least 4096; the server sets it from `[log] agent_file_kib`",
  },
  {
    name: "BOTBOX_WATCH_ROOTS",
    readBy: "agent",
    meaning: "`:`-separated folders a file watch may be in (links resolved); default the data folder",
  },
  {
    name: "BOTBOX_WATCH_MAX_FOLDERS",
    readBy: "agent",
    meaning: "folders one recursive file watch may hold; default 4096",
  },
  { name: "BOTBOX_WATCH_MAX_STREAMS", readBy: "agent", meaning: "file watches open at once; default 32" },
  {
    name: "TERM",
    readBy: "agent",
    meaning: "a PTY process's terminal type, from the env it is started with; default `xterm-256color`",
  },
  {
    name: "BOTBOX_CHECK_RESPONSES",
    readBy: "tests",
    meaning: "`1`: each JSON answer is checked against its route's schema; a mismatch is a 500 (not in production)",
  },
  {
    name: "BOTBOX_TEST_CRASH_AT",
    readBy: "tests",
    meaning: "kills the server at a named step of a sandbox state change, to test recovery",
  },
];

const names = new Set(ENVIRONMENT_VARIABLES.map((variable) => variable.name));

/** Whether `name` is one of the variables above, not a `BOTBOX_<SECTION>_<KEY>` setting. */
export const isProcessVariable = (name: string): boolean => names.has(name);
