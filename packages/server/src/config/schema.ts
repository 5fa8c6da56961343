import { z } from "zod";

import { AUTO_BACKEND, BACKEND_NAMES } from "../runtime/backends.js";

const port = z.coerce.number().int().min(0).max(65535);
const bytes = z.coerce.number().int().positive();

/** Limits every bot gets unless it or `[runtime]` says otherwise: 2 GiB, 1024 processes, one core, 10 GiB of disk. */
export const DEFAULT_LIMITS = { memory_bytes: 2 * 2 ** 30, pids: 1024, cpus: 1, disk_bytes: 10 * 2 ** 30 } as const;

const SERVER_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  home: "./.botbox",
  max_connections: 0,
  max_connections_per_peer: 0,
  admin_reserved_connections: 16,
  first_request_timeout_seconds: 10,
};

/** Every setting botbox reads, with its default. Keys mirror botbox.toml sections. */
export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: port.default(8080),
        /** Where botbox keeps its state: database, bots, images, admin token. */
        home: z.string().min(1).default("./.botbox"),
        /** The admin token; generated into <home>/admin-token when unset. */
        admin_token: z.string().min(16).optional(),
        /** API connections at once; 0: the smaller of 4096 and half the open-file limit. */
        max_connections: z.coerce.number().int().min(0).max(1_000_000).default(0),
        /** API connections from one address; 0: half of the connections that are not reserved. */
        max_connections_per_peer: z.coerce.number().int().min(0).max(1_000_000).default(0),
        /** Connections kept for requests with the admin token once the others are used up. */
        admin_reserved_connections: z.coerce.number().int().min(1).max(1024).default(16),
        /** A connection that has not sent its first request's headers by then is closed. */
        first_request_timeout_seconds: z.coerce.number().positive().max(600).default(10),
      })
      .strict()
      .default(SERVER_DEFAULTS),
    database: z
      .object({
        /** postgres://… ; empty means the embedded SQLite at <home>/botbox.db. */
        url: z.string().default(""),
      })
      .strict()
      .default({ url: "" }),
    runtime: z
      .object({
        /** A backend of runtime/backends.ts, or "auto": the first of them that can start here. */
        backend: z.enum([AUTO_BACKEND, ...BACKEND_NAMES] as [string, ...string[]]).default("sandbox"),
        /**
         * A bot's network unless it names its own: "isolated" (its own
         * namespace, the internet only), "none" (loopback only) or "host"
         * (the host's network: reaches the host's services; opt-in only).
         */
        network: z.enum(["isolated", "none", "host"]).default("isolated"),
        /** A bot's isolation unless it names its own: "namespaces", or "gvisor" (gVisor's runsc; slower, a smaller kernel surface). */
        isolation: z.enum(["namespaces", "gvisor"]).default("namespaces"),
        /** Default limits of a bot that sets none of its own; 0 turns a default off. */
        memory_bytes: z.coerce.number().int().min(0).default(DEFAULT_LIMITS.memory_bytes),
        pids: z.coerce.number().int().min(0).default(DEFAULT_LIMITS.pids),
        cpus: z.coerce.number().min(0).default(DEFAULT_LIMITS.cpus),
        /** A hard quota on a bot's writable state, where the backend can enforce one (docs/runtimes.md). */
        disk_bytes: z.coerce.number().int().min(0).default(DEFAULT_LIMITS.disk_bytes),
        /** Seconds to wait for a started bot's agent to answer Info. */
        start_timeout_seconds: z.coerce.number().positive().default(20),
      })
      .strict()
      .default({
        backend: "sandbox",
        network: "isolated",
        isolation: "namespaces",
        ...DEFAULT_LIMITS,
        start_timeout_seconds: 20,
      }),
    // The sandbox backend (runtime.backend = "sandbox").
    sandbox: z
      .object({
        /** The bwrap binary; empty: the first bwrap on PATH, else /usr/bin/bwrap. */
        bwrap_path: z.string().default(""),
      })
      .strict()
      .default({ bwrap_path: "" }),
    tools: z
      .object({
        /** Seconds an LLM's exec runs when it names no timeout. */
        exec_timeout_seconds: z.coerce.number().int().min(1).max(86_400).default(30),
        /** The longest timeout an LLM's exec may ask for. */
        exec_max_timeout_seconds: z.coerce.number().int().min(1).max(86_400).default(600),
        /** A foreground exec still running at its timeout becomes a background job instead of being killed. */
        background_on_timeout: z
          .union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")])
          .default(true),
      })
      .strict()
      .refine((tools) => tools.exec_timeout_seconds <= tools.exec_max_timeout_seconds, {
        message: "exec_timeout_seconds must not exceed exec_max_timeout_seconds",
      })
      .default({ exec_timeout_seconds: 30, exec_max_timeout_seconds: 600, background_on_timeout: true }),
    files: z
      .object({
        /** Largest upload the file manager accepts (413 past it). */
        max_upload_bytes: bytes.default(16 * 2 ** 30),
        /** Largest file /fs/read returns as text (413 past it; use /fs/download). */
        max_read_bytes: bytes.default(16 * 2 ** 20),
      })
      .strict()
      .default({ max_upload_bytes: 16 * 2 ** 30, max_read_bytes: 16 * 2 ** 20 }),
    media: z
      .object({
        /** Largest media file ingested (413 past it). */
        max_bytes: bytes.default(100 * 2 ** 20),
      })
      .strict()
      .default({ max_bytes: 100 * 2 ** 20 }),
    mcp_stdio: z
      .object({
        /** Sessions unused this long are closed and their servers ended. */
        idle_timeout_seconds: z.coerce.number().int().min(1).default(600),
        /** How long one JSON-RPC request may wait for its answer (progress restarts the clock). */
        request_timeout_seconds: z.coerce.number().int().min(1).default(60),
      })
      .strict()
      .default({ idle_timeout_seconds: 600, request_timeout_seconds: 60 }),
    // The containerd backend (runtime.backend = "containerd"; docs/runtimes.md).
    containerd: z
      .object({
        socket_path: z.string().min(1).default("/run/containerd/containerd.sock"),
        namespace: z.string().min(1).default("default"),
        snapshotter: z.string().min(1).default("overlayfs"),
        /** CNI plugin executables; Debian's containernetworking-plugins puts them here. */
        cni_bin_dir: z.string().min(1).default("/usr/lib/cni"),
        /** Where 10-botbox.conflist is read from, or written to when absent; empty: <home>/cni. */
        cni_conf_dir: z.string().default(""),
        /** The bots' bridge network (spec 4.7). */
        subnet: z
          .string()
          .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be an IPv4 CIDR such as 10.88.0.0/16")
          .default("10.88.0.0/16"),
        bridge: z.string().min(1).max(15).default("botbox0"),
        /** "unix": the agent's socket in /run/botbox; "tcp": :9090 on the bot's address (images built for the original). */
        agent_channel: z.enum(["unix", "tcp"]).default("unix"),
      })
      .strict()
      .default({
        socket_path: "/run/containerd/containerd.sock",
        namespace: "default",
        snapshotter: "overlayfs",
        cni_bin_dir: "/usr/lib/cni",
        cni_conf_dir: "",
        subnet: "10.88.0.0/16",
        bridge: "botbox0",
        agent_channel: "unix",
      }),
    // The original's [mcp] section keeps its keys and meaning (spec 9).
    mcp: z
      .object({
        image: z.string().min(1).optional(),
        registry: z.string().default(""),
        snapshotter: z.string().default(""),
        data_root: z.string().default("data"),
        cni_bin_dir: z.string().default("/opt/cni/bin"),
        cni_conf_dir: z.string().default("/etc/cni/net.d"),
      })
      .strict()
      .default({
        registry: "",
        snapshotter: "",
        data_root: "data",
        cni_bin_dir: "/opt/cni/bin",
        cni_conf_dir: "/etc/cni/net.d",
      }),
  })
  .strict();

export type BotboxConfig = z.infer<typeof configSchema>;
