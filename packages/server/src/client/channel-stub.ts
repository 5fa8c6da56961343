import type { ChannelOptions } from "@grpc/grpc-js";

import type { AgentClient } from "./agent-client.js";
import type { AgentEndpoint } from "./endpoint.js";

type StubClass<Stub> = new (endpoint: AgentEndpoint, options: ChannelOptions) => Stub;

const stubs = new WeakMap<AgentClient, Map<StubClass<unknown>, unknown>>();

/**
 * A client of one of the agent's other services (processes, watch) on the
 * pooled agent client's own channel: one connection per agent, one stub per
 * service, and both go with the agent client when the pool drops it.
 */
export function stubOnChannel<Stub>(agent: AgentClient, Stub: StubClass<Stub>): Stub {
  let byClass = stubs.get(agent);
  if (!byClass) stubs.set(agent, (byClass = new Map()));
  let stub = byClass.get(Stub) as Stub | undefined;
  if (!stub) {
    // grpc-js takes the channel of another stub as `channelOverride`.
    stub = new Stub(agent.endpoint, { channelOverride: agent.channel } as ChannelOptions);
    byClass.set(Stub, stub);
  }
  return stub;
}
