/**
 * CNI, by the book (the CNI specification, version 1.0): each plugin of a network configuration
 * list is an executable in the bin folder, run with CNI_COMMAND, CNI_CONTAINERID,
 * CNI_NETNS, CNI_IFNAME and CNI_PATH in its environment and its configuration
 * on stdin; ADD runs the plugins in order, each given the previous one's
 * result as `prevResult`; DEL runs them in reverse with the recorded result.
 */
import { spawn } from "node:child_process";
import path from "node:path";

export const CNI_VERSION = "1.0.0";

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  [key: string]: unknown;
}

export interface CniAttachment {
  containerId: string;
  netns: string;
  ifName: string;
}

/** A plugin's failure: its CNI error code and message (spec: the error JSON on stdout). */
export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly cniCode: number | undefined,
    message: string,
  ) {
    super(`CNI plugin ${plugin}: ${message}`);
  }
}

/**
 * The original's network list on botbox's own bridge and subnet: bridge + host-local.
 * Without its `portmap`: nothing publishes a bot's port (the runtime contract
 * has no port mappings, and a published port would let anyone reach a bot
 * past the isolation of network.ts), and a portmap with no mappings only
 * costs a plugin run per ADD and DEL.
 */
export function botboxConfList(options: {
  name: string;
  bridge: string;
  subnet: string;
  ipamDataDir?: string;
}): CniConfList {
  return {
    cniVersion: CNI_VERSION,
    name: options.name,
    plugins: [
      {
        type: "bridge",
        bridge: options.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: options.subnet }]],
          routes: [{ dst: "0.0.0.0/0" }],
          ...(options.ipamDataDir ? { dataDir: options.ipamDataDir } : {}),
        },
      },
    ],
  };
}

export const LOOPBACK: CniConfList = {
  cniVersion: CNI_VERSION,
  name: "cni-loopback",
  plugins: [{ type: "loopback" }],
};

export async function cniAdd(binDir: string, list: CniConfList, attachment: CniAttachment): Promise<CniResult> {
  let result: CniResult | undefined;
  for (const plugin of list.plugins)
    result = await invoke(binDir, "ADD", pluginConfig(list, plugin, result), attachment);
  return result ?? {};
}

/** Every plugin is run even when one fails (each releases what it holds); the first failure is thrown. */
export async function cniDel(
  binDir: string,
  list: CniConfList,
  attachment: CniAttachment,
  result: CniResult | undefined,
): Promise<void> {
  let failure: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    await invoke(binDir, "DEL", pluginConfig(list, plugin, result), attachment).catch((error: unknown) => {
      failure ??= error;
    });
  }
  if (failure) throw failure;
}

/** The first address over all interfaces that is not loopback, as the original picked it. */
export function ipOf(result: CniResult): string | undefined {
  for (const entry of result.ips ?? []) {
    const address = entry.address.split("/")[0]!;
    if (address !== "127.0.0.1" && address !== "::1") return address;
  }
  return undefined;
}

function pluginConfig(list: CniConfList, plugin: Record<string, unknown>, prevResult: CniResult | undefined) {
  return { cniVersion: list.cniVersion, name: list.name, ...plugin, ...(prevResult ? { prevResult } : {}) };
}

function invoke(
  binDir: string,
  command: "ADD" | "DEL",
  config: Record<string, unknown>,
  attachment: CniAttachment,
): Promise<CniResult> {
  const type = String(config.type);
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(binDir, type), [], {
      env: {
        PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        CNI_COMMAND: command,
        CNI_CONTAINERID: attachment.containerId,
        CNI_NETNS: attachment.netns,
        CNI_IFNAME: attachment.ifName,
        CNI_PATH: binDir,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("error", (error) => reject(new CniError(type, undefined, error.message)));
    child.on("close", (code) => {
      if (code === 0) {
        resolve(stdout.trim() ? (JSON.parse(stdout) as CniResult) : {});
        return;
      }
      let parsed: { code?: number; msg?: string; details?: string } = {};
      try {
        parsed = JSON.parse(stdout) as typeof parsed;
      } catch {
        // Not the error JSON the spec asks for: report what it printed.
      }
      const message = [parsed.msg, parsed.details].filter(Boolean).join(": ") || stderr.trim() || stdout.trim();
      reject(new CniError(type, parsed.code, `${command} failed (exit ${code}): ${message}`));
    });
    child.stdin.end(JSON.stringify(config));
  });
}
