import type { Logger } from "pino";
import type { Clock } from "../domain/clock.ts";
import type { Store } from "../store/store.ts";

/** What the engine needs to run. */
export interface EngineOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This replica's id, recorded as the lease owner. */
  readonly owner: string;
}

/**
 * The execution engine: pollers per served partition, credit-bounded claims, leases, acks.
 * (Skeleton: the execution issue implements it; the signatures are the contract with the server.)
 */
export class Engine {
  constructor(readonly options: EngineOptions) {}

  /** In-process wake-up: a partition's earliest ready time became `readyAt`. */
  wake(_task: string, _partition: number, _readyAt: number): void {}

  /** A task was created, changed or deleted: drop cached definitions. */
  taskChanged(_name: string): void {}

  /**
   * Stops claiming, lets in-flight executions finish up to `deadlineMs`, releases the rest,
   * ends the streams with a status that tells clients to reconnect. Idempotent.
   */
  async shutdown(_deadlineMs: number): Promise<void> {}
}
