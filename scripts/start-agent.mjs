// `npm start` (until the host server lands): runs the bundled agent for this
// checkout, with a data folder and a private Unix socket under .botbox/
// unless the environment already says where.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

const home = path.resolve(".botbox");
mkdirSync(home, { recursive: true, mode: 0o700 });
const env = {
  ...process.env,
  BOTBOX_DATA_DIR: process.env.BOTBOX_DATA_DIR ?? path.join(home, "data"),
  BOTBOX_TEMPLATE_DIR: process.env.BOTBOX_TEMPLATE_DIR ?? path.resolve("packages/agent/templates"),
  MCP_LISTEN_ADDR: process.env.MCP_LISTEN_ADDR ?? `unix:${path.join(home, "agent.sock")}`,
  BOTBOX_BOT_ID: process.env.BOTBOX_BOT_ID ?? "local",
};
console.error(`botbox agent: data ${env.BOTBOX_DATA_DIR}, listening on ${env.MCP_LISTEN_ADDR}`);
const agent = spawn(process.execPath, ["packages/agent/dist/agent.js"], { env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => agent.kill(signal));
agent.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
