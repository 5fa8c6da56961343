/**
 * What the manager needs from the database, in its own terms. The store
 * (packages/server/src/store) implements it; keeping the port here lets the
 * manager's logic be read without the SQL.
 */
import type { EgressPolicy, IsolationMode, NetworkMode, ResourceLimits } from "../runtime/runtime.js";

export type ContainerStatus = "created" | "running" | "stopped" | "error";

export interface ContainerRecord {
  botId: string;
  containerId: string;
  image: string;
  status: ContainerStatus;
  autoStart: boolean;
  runtime: string | null;
  createdAt: Date;
  updatedAt: Date;
  lastStartedAt: Date | null;
  lastStoppedAt: Date | null;
}

export interface BotRecord {
  id: string;
  name: string;
  createdAt: Date;
  /** Per-bot settings; unset ones take the server's defaults. */
  network?: NetworkMode;
  egress?: EgressPolicy;
  isolation?: IsolationMode;
  limits?: ResourceLimits;
  autoStart: boolean;
  /** The image its container is made from; unset: the server's. */
  image?: string;
}

export interface NewBotInput {
  id?: string;
  name: string;
  network?: NetworkMode;
  egress?: EgressPolicy;
  isolation?: IsolationMode;
  limits?: ResourceLimits;
  autoStart?: boolean;
  image?: string;
}

/** What PATCH /bots/:id may change; an absent key stays as it is. */
export interface BotUpdateInput {
  name?: string;
  network?: NetworkMode;
  egress?: EgressPolicy;
  isolation?: IsolationMode;
  limits?: ResourceLimits;
}

export interface ManagerRecords {
  getBot(botId: string): Promise<BotRecord | undefined>;
  getContainer(botId: string): Promise<ContainerRecord | undefined>;
  saveContainer(record: {
    botId: string;
    containerId: string;
    image: string;
    runtime: string;
    autoStart: boolean;
  }): Promise<void>;
  setContainerStatus(botId: string, status: ContainerStatus): Promise<void>;
  markStarted(botId: string): Promise<void>;
  markStopped(botId: string): Promise<void>;
  deleteContainer(botId: string): Promise<void>;
  listAutoStart(): Promise<ContainerRecord[]>;
  recordEvent(containerId: string, type: string, payload: Record<string, unknown>): Promise<void>;
}
