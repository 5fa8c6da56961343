/**
 * botbox's containers in containerd's Containers service: found by id or by
 * the runtime label, relabelled, deleted. A container without botbox's
 * spec label is not one of botbox's and is not seen.
 */
import { NotFoundError } from "../../errors.js";
import type { Container } from "../../gen/containerd/github.com/containerd/containerd/api/services/containers/v1/containers.js";
import { botIdOf } from "../container-spec.js";
import type { ContainerdApi } from "./api.js";
import { PARENT_LABEL, RUNTIME_LABEL, storedSpecOf } from "./container-record.js";

export class ContainerdContainers {
  constructor(private readonly api: ContainerdApi) {}

  async get(id: string): Promise<Container | undefined> {
    if (botIdOf(id) === undefined) return undefined;
    const response = await this.api.callOrMissing<{ container: Container | undefined }>(
      `get container ${id}`,
      (md, options, done) => this.api.containers.get({ id }, md, options, done),
    );
    const container = response?.container;
    return container && storedSpecOf(container) ? container : undefined;
  }

  /** The container, or NotFoundError. */
  async required(id: string): Promise<Container> {
    const container = await this.get(id);
    if (!container) throw new NotFoundError(`container ${JSON.stringify(id)} not found`);
    return container;
  }

  /** Every container a containerd runtime of botbox made in this namespace. */
  async list(): Promise<Container[]> {
    const response = await this.api.call<{ containers: Container[] }>("list containers", (md, options, done) =>
      this.api.containers.list({ filters: [`labels."${RUNTIME_LABEL}"==containerd`] }, md, options, done),
    );
    return response.containers;
  }

  /** Records the snapshot the container's writable layer now sits on. */
  async setParent(container: Container, name: string): Promise<void> {
    const updated: Container = { ...container, labels: { ...container.labels, [PARENT_LABEL]: name } };
    await this.api.call(`label ${container.id}`, (md, options, done) =>
      this.api.containers.update({ container: updated, updateMask: ["labels"] }, md, options, done),
    );
  }

  async delete(id: string): Promise<void> {
    await this.api.call(`delete container ${id}`, (md, options, done) =>
      this.api.containers.delete({ id }, md, options, done),
    );
  }
}
