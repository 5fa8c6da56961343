// `npm run bench`: every benchmark in one run, each against its baseline.
import { benchAgentRss } from "./agent-rss.js";
import { benchAttachFirstByte } from "./attach-first-byte.js";
import { benchBackends } from "./backends.js";
import { benchColdStart } from "./cold-start.js";
import { benchDensity } from "./density.js";
import { benchExecRoundTrip } from "./exec-roundtrip.js";
import { benchGateway } from "./gateway.js";
import { benchHttpTransfer } from "./http-transfer.js";
import { benchMcpStdio } from "./mcp-stdio.js";
import { benchNetworkIsolation } from "./network-isolation.js";
import { benchNoisyNeighbour } from "./noisy-neighbour.js";
import { benchPortProxy } from "./port-proxy.js";
import { benchPtyEcho } from "./pty-echo.js";
import { benchRawThroughput } from "./raw-throughput.js";
import { benchReadFileConcurrency } from "./readfile-concurrency.js";
import { benchReattach } from "./reattach.js";
import { benchSnapshot } from "./snapshot.js";
import type { Figure } from "./support.js";

const figures: Figure[] = [];
for (const bench of [
  benchExecRoundTrip,
  benchRawThroughput,
  benchReadFileConcurrency,
  benchAgentRss,
  // Host server and sandbox runtime (issue 4).
  benchColdStart,
  benchDensity,
  benchSnapshot,
  benchReattach,
  // The default isolated network's cost (issue 13).
  benchNetworkIsolation,
  benchNoisyNeighbour,
  // The file manager's HTTP transfers.
  benchHttpTransfer,
  // A bot's port through the host vs the file manager's download (issue 15).
  benchPortProxy,
  benchPtyEcho,
  benchAttachFirstByte,
  // MCP stdio sessions and the tool gateway.
  benchMcpStdio,
  benchGateway,
  // Every configured runtime backend against the sandbox (issue 7): one figure per backend and measure.
  benchBackends,
]) {
  figures.push(...[await bench()].flat());
}
console.log("\nsummary");
console.table(
  figures.map(({ bench, ratio, goal, met }) => ({
    bench,
    ratio: Number(ratio.toFixed(2)),
    goal: goal ?? "none",
    met: goal === undefined ? "-" : met,
  })),
);
