import type { SharedResources } from '../drivers/driver.js';

/** A keyed, reference-counted pool of connections shared between drivers (see `SharedResources`). */
export class ResourcePool implements SharedResources {
  readonly #entries = new Map<string, { resource: { close(): Promise<void> }; users: number }>();

  acquire<T extends { close(): Promise<void> }>(key: string, create: () => T): T {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.users += 1;
      return entry.resource as T;
    }
    const resource = create();
    this.#entries.set(key, { resource, users: 1 });
    return resource;
  }

  async release(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.#entries.delete(key);
    await entry.resource.close();
  }

  /** Keys in use, for tests and diagnostics. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
