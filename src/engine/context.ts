import type { Logger } from "pino";
import type { Clock } from "../domain/clock.ts";
import type { Store } from "../store/store.ts";
import type { CreditLedger } from "./credit-ledger.ts";
import type { LeaseTable } from "./lease-table.ts";
import type { OutcomeObserver } from "./outcomes.ts";
import type { RetryObserver } from "./retries.ts";
import type { TaskCache } from "./task-cache.ts";

/** What the engine's parts share: its dependencies, its tables, and its wake-up entry. */
export interface EngineContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly tasks: TaskCache;
  readonly leases: LeaseTable;
  /** Streams, the pollers drawing from them, and their credit. */
  readonly credit: CreditLedger;
  /** Longest real-time sleep of a poller between two looks at its partition. */
  readonly maxPollMs: number;
  /**
   * The poll bound now: maxPollMs, stretched when so many pollers run that their forced looks
   * would pass FORCED_LOOKS_PER_SECOND.
   */
  pollBoundMs(): number;
  /** Most executions one claim takes. */
  readonly claimBatch: number;
  /** A partition's earliest ready time became `readyAt`: wake its poller if it sleeps longer. */
  wake(task: string, partition: number, readyAt: number): void;
  /** Told how executions ended (metrics), once per batch; a no-op when nobody listens. */
  readonly outcomes: OutcomeObserver;
  /** Told what retry policies did (metrics); a no-op when nobody listens. */
  readonly retries: RetryObserver;
}
