import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";

import { status } from "@grpc/grpc-js";

import { RpcError } from "../rpc-error.js";
import { KEEPER_FLAG } from "./keeper-mode.js";
import { KEEPER_LOG, type KeeperSpec, type ProcessRecord } from "./process-record.js";

const KEEPER_START_TIMEOUT_MS = 10_000;

/**
 * Starts a keeper for `dir` in a new session and hands it the spec on its
 * stdin; resolves with the record once the process runs. The keeper is not
 * the agent's to wait for: it is unreferenced and outlives the agent.
 */
export async function launchKeeper(
  command: string[],
  dir: string,
  spec: KeeperSpec,
  keeperEnv: NodeJS.ProcessEnv,
): Promise<ProcessRecord> {
  const logFd = openSync(path.join(dir, KEEPER_LOG), "a", 0o600);
  let keeper;
  try {
    keeper = spawn(command[0]!, [...command.slice(1), KEEPER_FLAG, dir], {
      cwd: "/",
      env: keeperEnv,
      detached: true,
      stdio: ["pipe", "pipe", logFd],
    });
  } finally {
    closeSync(logFd);
  }
  keeper.stdin!.on("error", () => undefined);
  keeper.stdin!.end(`${JSON.stringify(spec)}\n`);
  try {
    const answer = await new Promise<{ record?: ProcessRecord; error?: { code: string; message: string } }>(
      (resolve, reject) => {
        let text = "";
        const timer = setTimeout(
          () => reject(new RpcError(status.INTERNAL, "the process's keeper did not start in time")),
          KEEPER_START_TIMEOUT_MS,
        );
        keeper.stdout!.setEncoding("utf8");
        keeper.stdout!.on("data", (chunk: string) => {
          text += chunk;
          if (!text.includes("\n")) return;
          clearTimeout(timer);
          resolve(JSON.parse(text.slice(0, text.indexOf("\n"))) as { record?: ProcessRecord });
        });
        keeper.once("error", (error) => {
          clearTimeout(timer);
          reject(new RpcError(status.INTERNAL, `cannot start a keeper: ${error.message}`));
        });
        keeper.once("exit", (code) => {
          clearTimeout(timer);
          reject(new RpcError(status.INTERNAL, `the process's keeper exited with ${code} before it started`));
        });
      },
    );
    if (answer.error) {
      const code = status[answer.error.code as keyof typeof status] ?? status.INTERNAL;
      throw new RpcError(code, answer.error.message);
    }
    return answer.record!;
  } catch (error) {
    keeper.kill("SIGKILL");
    throw error;
  } finally {
    keeper.stdout!.destroy();
    keeper.unref();
  }
}
