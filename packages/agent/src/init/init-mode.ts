/**
 * How the init and the agent it runs find each other. Kept apart from the
 * init itself so that the agent, which reports readiness, loads none of it.
 */
import { closeSync, writeSync } from "node:fs";

export const INIT_FLAG = "--botbox-init";
/** The descriptor on which the agent tells its init that it is listening. */
export const READY_FD_VARIABLE = "BOTBOX_INIT_READY_FD";
export const READY_MESSAGE = "ready\n";
/** Set by an init that holds the listening socket and hands it over on request (held-listener.ts). */
export const LISTENER_VARIABLE = "BOTBOX_INIT_LISTENER";
/** The agent's request for the socket, and the init's answer, which carries it. */
export const LISTENER_REQUEST = "botbox-listener-request";
export const LISTENER_ANSWER = "botbox-listener";
/** How long the agent waits for the socket before it gives up and fails its start. */
const LISTENER_WAIT_MS = 10_000;

export function isInitMode(argv: string[]): boolean {
  return argv.includes(INIT_FLAG);
}

// Taken out of the environment at once: keepers and the bot's processes
// inherit the agent's environment and have no such descriptor.
const readyFd = Number(process.env[READY_FD_VARIABLE] ?? Number.NaN);
delete process.env[READY_FD_VARIABLE];
const initHoldsListener = process.env[LISTENER_VARIABLE] === "ipc" && typeof process.send === "function";
delete process.env[LISTENER_VARIABLE];

/** Tells the init (when there is one) that the agent is up; a no-op otherwise. */
export function reportReadyToInit(): void {
  if (!Number.isInteger(readyFd) || readyFd < 3) return;
  try {
    writeSync(readyFd, READY_MESSAGE);
    closeSync(readyFd);
  } catch {
    // The init is gone or never gave us the descriptor: nothing to tell.
  }
}

export interface ListenerFromInit {
  /** Node's wrap of the bound socket, for net.Server's listen(). */
  readonly handle: object;
  /** Where it is bound: `unix:/path` or `host:port`. */
  readonly address: string;
}

/**
 * The socket the init holds for its agents, or undefined when the agent was
 * started without one (directly, or by an init that could not bind) and must
 * bind on its own.
 *
 * Asked for rather than sent unasked: a message that arrives before its
 * listener is registered is dropped. The channel is closed as soon as the
 * socket is here, before the agent serves a call: its descriptor was
 * inherited without close-on-exec, and a command the agent starts must get
 * no line to the init. The socket itself arrives close-on-exec (libuv
 * receives descriptors with MSG_CMSG_CLOEXEC), so no command inherits it.
 */
export async function listenerFromInit(): Promise<ListenerFromInit | undefined> {
  if (!initHoldsListener) return undefined;
  try {
    return await new Promise<ListenerFromInit>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the init did not hand over the listening socket in ${LISTENER_WAIT_MS} ms`)),
        LISTENER_WAIT_MS,
      );
      process.once("message", (message: unknown, handle: unknown) => {
        clearTimeout(timer);
        const answer = message as { type?: unknown; address?: unknown } | null;
        if (answer?.type === LISTENER_ANSWER && typeof answer.address === "string" && handle)
          resolve({ handle: handle as object, address: answer.address });
        else reject(new Error(`the init answered ${JSON.stringify(message)} without a socket`));
      });
      process.send!({ type: LISTENER_REQUEST });
    });
  } finally {
    if (process.connected) process.disconnect();
  }
}
