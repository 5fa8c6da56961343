// The API's answers as the console reads them (docs/server.md).

export interface Principal {
  kind: "admin" | "bot";
  bot_id?: string;
}

export interface Bot {
  id: string;
  name: string;
  network: "isolated" | "none" | "host";
  egress: { allow: string[] | null; deny: string[] } | null;
  isolation: string;
  limits: { memory_bytes: number | null; pids: number | null; cpus: number | null; disk_bytes: number | null };
  auto_start: boolean;
  created_at: string;
}

export interface ContainerState {
  bot_id: string;
  status: "created" | "running" | "stopped" | "error" | "missing";
  task_running: boolean;
  pid: number | null;
  /** What the running task uses now; null where the backend does not count it. */
  usage: { memory_bytes: number | null; processes: number | null } | null;
  image: string;
  last_started_at: string | null;
  last_stopped_at: string | null;
}

export interface LifecycleEvent {
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface FileEntry {
  name: string;
  path: string;
  size: number;
  mode: string;
  modTime: string;
  isDir: boolean;
}

export interface FilePage {
  path: string;
  entries: FileEntry[];
  nextCursor: string | null;
}

export interface ProcessInfo {
  id: string;
  tag: string;
  command: string | string[];
  status: string;
  pid: number;
  started_at: string;
  ended_at?: string;
  exit_code?: number;
  signal?: string;
  output_bytes: number;
  input_open: boolean;
}

export type OutputEvent =
  | { type: "output"; stream: string; offset: number; size: number; encoding: "utf-8" | "base64"; data: string }
  | { type: "dropped"; from: number; to: number }
  | { type: "exit"; process: ProcessInfo }
  | { type: "error"; code: string; message: string };

export interface Snapshot {
  name: string;
  parent: string | null;
  created_at: string;
  source: string;
  version: number | null;
  display_name: string | null;
}

export interface Version {
  version: number;
  snapshot_name: string;
  created_at: string;
}

export interface SignedUrl {
  url: string;
  path: string;
  expires_at: string;
}

export interface McpServer {
  name: string;
  command: string;
  args?: string[];
  enabled?: boolean;
}

export interface McpTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

export interface Skill {
  name: string;
  description: string;
}

export interface Memory {
  id: string;
  memory: string;
  updated_at?: string;
  created_at?: string;
}
