import { Duplex } from "node:stream";

import type { TunnelFrame } from "@botbox/proto";
import { type ClientDuplexStream, status } from "@grpc/grpc-js";

import { PortUnreachableError } from "../errors.js";
import { explainAgentTooOld } from "./agent-too-old.js";
import { mapGrpcError } from "./error-mapping.js";

type TunnelCall = ClientDuplexStream<TunnelFrame, TunnelFrame>;

const dataFrame = (data: Buffer): TunnelFrame => ({ frame: { $case: "data", value: { data } } });
const closeFrame = (error = ""): TunnelFrame => ({ frame: { $case: "close", value: { error } } });

/**
 * A connection to a TCP port on the bot's loopback, through the agent's
 * Tunnel call, as a node Duplex: what `net.Socket` would be if the host could
 * reach the bot's network. Writing waits while the call is full; reading
 * stops the call while the reader is full, so neither side buffers more than
 * a window. Ending it half-closes the target's input.
 */
export class TunnelStream extends Duplex {
  readonly #call: TunnelCall;
  #connected = false;
  #finished = false;

  constructor(call: TunnelCall) {
    super({ allowHalfOpen: true });
    this.#call = call;
    call.on("data", (frame: TunnelFrame) => this.#onFrame(frame));
    call.on("end", () => {
      this.#finished = true;
      this.push(null);
    });
    call.on("error", (error: Error & { code?: number }) => {
      this.#finished = true;
      // Our own cancel (destroy) ends the call CANCELLED: not a failure to report.
      if (error.code === status.CANCELLED && this.destroyed) return;
      this.destroy(explainAgentTooOld(mapGrpcError(error), "Tunnel call") as Error);
    });
  }

  /** Resolves once the agent reached the target; rejects with why it could not. */
  connected(): Promise<void> {
    if (this.#connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnect = () => {
        this.off("error", reject);
        resolve();
      };
      this.once("tunnel-connected", onConnect);
      this.once("error", reject);
    });
  }

  #onFrame(frame: TunnelFrame): void {
    const value = frame.frame;
    if (value?.$case === "data") {
      if (!this.#connected) {
        // The agent's first, empty data frame: the target accepted the connection.
        this.#connected = true;
        this.emit("tunnel-connected");
        return;
      }
      if (!this.push(value.value.data)) this.#call.pause();
    } else if (value?.$case === "close") {
      const error = value.value.error;
      if (error === "") this.push(null);
      else if (!this.#connected) this.destroy(new PortUnreachableError(error));
      else this.destroy(new PortUnreachableError(`the connection in the bot failed: ${error}`));
    }
  }

  override _read(): void {
    this.#call.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#call.write(dataFrame(chunk))) callback();
    else this.#call.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#finished) {
      this.#call.write(closeFrame());
      this.#call.end();
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#finished) this.#call.cancel();
    callback(error);
  }
}
