import type { Logger } from "pino";
import type { Clock } from "../domain/clock.ts";
import type { EngineStats } from "../engine/engine.ts";
import type { Ownership } from "../engine/ownership/ownership.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import type { Metrics } from "../server/metrics.ts";
import type { Store } from "../store/store.ts";

/**
 * What the console reads through: the same in-process parts the gRPC handlers use (the
 * scheduling service for tasks and instances, the ownership for the partition map, the store
 * only for what no service offers: members and the due index's counts). Never gRPC to itself.
 */
export interface ConsoleParts {
  readonly store: Store;
  readonly clock: Clock;
  readonly scheduling: SchedulingService;
  readonly ownership: Pick<Ownership, "map" | "mode">;
  readonly stats: () => EngineStats;
  readonly metrics: Pick<Metrics, "registry">;
  /** This replica's id, shown when there are no member records (ownership "all" or static). */
  readonly replicaId: string;
  readonly logger: Logger;
}
