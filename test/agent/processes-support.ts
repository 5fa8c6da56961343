// Helpers for the process supervisor's tests (processes*.test.ts): a real
// agent with the typed ProcessClient, a raw generated client for inputs the
// typed one would refuse, and a clean-up that leaves no keeper behind.
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";

import { ProcessClient, type ProcessEvent, type ProcessRef } from "../../packages/server/src/client/process-client.js";
import {
  type AttachEvent,
  AttachRequest,
  type ProcessInfo,
  type ProcessSelector,
  ProcessServiceClient,
  StartRequest,
} from "../../proto/src/gen/process.js";
import { type AgentProcess, type AgentProcessOptions, startAgentProcess } from "../support/agent-process.js";
import { waitFor } from "./support.js";

export interface SupervisedAgent {
  agent: AgentProcess;
  client: ProcessClient;
  raw: RawProcessClient;
  /** Kills every process still running (so no keeper outlives the test), then stops the agent. */
  stop(): Promise<void>;
}

export async function startSupervisedAgent(options: AgentProcessOptions = {}): Promise<SupervisedAgent> {
  const agent = await startAgentProcess({ transport: "unix", ...options });
  return supervise(agent, options.token);
}

export function supervise(agent: AgentProcess, token?: string): SupervisedAgent {
  const client = new ProcessClient({ address: agent.address, token });
  const raw = new RawProcessClient(agent.address, token);
  return {
    agent,
    client,
    raw,
    async stop() {
      await killAll(client);
      client.close();
      raw.close();
      await agent.stop();
    },
  };
}

export async function killAll(client: ProcessClient): Promise<void> {
  const running = (await client.list()).filter((process) => process.status === "running");
  for (const process of running) await client.signal({ id: process.id }, "KILL").catch(() => undefined);
  for (const process of running) await client.wait({ id: process.id }, 5_000);
}

export interface Collected {
  events: ProcessEvent[];
  /** Output bytes of every stream, in order. */
  text: string;
  stdout: string;
  stderr: string;
  exit?: Extract<ProcessEvent, { type: "exit" }>["process"];
}

export async function collect(
  client: ProcessClient,
  process: ProcessRef,
  options: { offset?: number; follow?: boolean } = {},
): Promise<Collected> {
  const collected: Collected = { events: [], text: "", stdout: "", stderr: "" };
  for await (const event of client.attach(process, options)) {
    collected.events.push(event);
    if (event.type === "output") {
      const text = event.data.toString();
      collected.text += text;
      if (event.stream === "stderr") collected.stderr += text;
      else collected.stdout += text;
    } else if (event.type === "exit") {
      collected.exit = event.process;
    }
  }
  return collected;
}

/** Waits until the process's output contains `text`. */
export async function outputContains(client: ProcessClient, process: ProcessRef, text: string): Promise<boolean> {
  return waitFor(async () => (await collect(client, process, { follow: false })).text.includes(text), 5_000);
}

type Callback<Res> = (error: ServiceError | null, response?: Res) => void;

/** The generated client, promisified: for requests the typed client would not send. */
export class RawProcessClient {
  readonly client: ProcessServiceClient;

  constructor(
    address: string,
    private readonly token?: string,
  ) {
    this.client = new ProcessServiceClient(address, credentials.createInsecure());
  }

  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
  }

  call<Req, Res>(
    method: (request: Req, metadata: Metadata, callback: Callback<Res>) => unknown,
    request: Req,
    metadata = this.metadata(),
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      method.call(this.client, request, metadata, (error: ServiceError | null, response?: Res) =>
        error ? reject(error) : resolve(response as Res),
      );
    });
  }

  get(selector: Partial<ProcessSelector>): Promise<ProcessInfo> {
    return this.call(this.client.get, { id: "", tag: "", ...selector });
  }

  start(request: Partial<StartRequest>, metadata = this.metadata()): Promise<ProcessInfo> {
    return this.call(this.client.start, StartRequest.fromPartial(request), metadata);
  }

  /** Every event of an Attach call, or its error. */
  attach(request: Partial<AttachRequest>): Promise<AttachEvent[]> {
    return new Promise((resolve, reject) => {
      const events: AttachEvent[] = [];
      const call = this.client.attach(AttachRequest.fromPartial(request), this.metadata());
      call.on("data", (event: AttachEvent) => events.push(event));
      call.on("error", reject);
      call.on("end", () => resolve(events));
    });
  }

  close(): void {
    this.client.close();
  }
}
