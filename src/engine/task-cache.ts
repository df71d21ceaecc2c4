import { performance } from "node:perf_hooks";
import type { TaskRecord } from "../domain/model.ts";
import type { Store } from "../store/store.ts";

interface Entry {
  readonly value: Promise<TaskRecord | undefined>;
  readonly loadedAt: number;
}

/**
 * Task definitions, cached for a short time so a poll cycle or an ack costs no task read.
 * PutTask and DeleteTask on this replica drop the entry at once (Engine.taskChanged); the TTL
 * bounds how long a change made through another replica goes unseen. The TTL runs on the
 * monotonic clock, not the injected one: it is a cache bound, not scheduling time, and a test's
 * frozen manual clock must not freeze the cache.
 */
export class TaskCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
  ) {}

  /** The task, or undefined when it does not exist. Concurrent lookups share one read. */
  get(name: string): Promise<TaskRecord | undefined> {
    const now = performance.now();
    const entry = this.entries.get(name);
    if (entry !== undefined && now - entry.loadedAt < this.ttlMs) return entry.value;
    const value = this.store.getTask(name);
    const fresh: Entry = { value, loadedAt: now };
    this.entries.set(name, fresh);
    // Only tasks that exist stay cached: a failed read must not be served again, and names
    // that resolve to nothing (from forged lease ids, say) must not grow the map forever.
    value.then(
      (task) => {
        if (task === undefined && this.entries.get(name) === fresh) this.entries.delete(name);
      },
      () => {
        if (this.entries.get(name) === fresh) this.entries.delete(name);
      },
    );
    return value;
  }

  /** Forgets a task so the next lookup reads it again. */
  drop(name: string): void {
    this.entries.delete(name);
  }
}
