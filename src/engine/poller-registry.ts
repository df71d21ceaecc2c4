import type { EngineContext } from "./context.ts";
import { PartitionPoller } from "./poller.ts";

/**
 * The engine's pollers by (task, partition): at most one per partition in a replica, made when
 * the first stream subscribes to the partition and stopped when the last one leaves. Which
 * stream a poller feeds is the credit ledger's business; this is only the index.
 */
export class PollerRegistry {
  readonly #byTask = new Map<string, Map<number, PartitionPoller>>();
  /** Stops of retired pollers whose claim in progress has not delivered yet. */
  readonly #retiring = new Set<Promise<void>>();
  #count = 0;

  constructor(private readonly ctx: EngineContext) {}

  /** How many pollers run. */
  get count(): number {
    return this.#count;
  }

  /** The poller of a partition, if one runs. */
  get(task: string, partition: number): PartitionPoller | undefined {
    return this.#byTask.get(task)?.get(partition);
  }

  /** The poller of a partition, made when none runs yet. */
  obtain(task: string, partition: number): PartitionPoller {
    let byPartition = this.#byTask.get(task);
    if (byPartition === undefined) {
      byPartition = new Map();
      this.#byTask.set(task, byPartition);
    }
    let poller = byPartition.get(partition);
    if (poller === undefined) {
      poller = new PartitionPoller(this.ctx, task, partition);
      byPartition.set(partition, poller);
      this.#count++;
    }
    return poller;
  }

  /** The pollers of one task. */
  ofTask(task: string): Iterable<PartitionPoller> {
    return this.#byTask.get(task)?.values() ?? [];
  }

  /** Every running poller. */
  all(): PartitionPoller[] {
    return [...this.#byTask.values()].flatMap((byPartition) => [...byPartition.values()]);
  }

  /**
   * Stops pollers no stream draws from any more (a claim in progress releases what it can no
   * longer deliver) and forgets them.
   */
  retire(orphans: Iterable<PartitionPoller>): void {
    for (const poller of orphans) {
      const stopped = poller.stop().finally(() => this.#retiring.delete(stopped));
      this.#retiring.add(stopped);
      const byPartition = this.#byTask.get(poller.task);
      if (byPartition?.get(poller.partition) !== poller) continue;
      byPartition.delete(poller.partition);
      this.#count--;
      if (byPartition.size === 0) this.#byTask.delete(poller.task);
    }
  }

  /**
   * Resolves once every retired poller's claim in progress has delivered (or released what it
   * could not): shutdown waits for it, or such a release would find the store closed.
   */
  async retired(): Promise<void> {
    await Promise.all([...this.#retiring]);
  }

  /** Forgets every poller and returns them (shutdown stops them). */
  clear(): PartitionPoller[] {
    const pollers = this.all();
    this.#byTask.clear();
    this.#count = 0;
    return pollers;
  }
}
