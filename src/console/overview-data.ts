import { CONSOLE_GRID_PARTITIONS, CONSOLE_OVERVIEW_TASKS } from "../domain/limits.ts";
import type { TaskRecord } from "../domain/model.ts";
import type { ConsoleParts } from "./parts.ts";

/*
 * The overview's figures: the replicas, and per shown task its partition map with, per
 * partition, how many instances are due now and how old the oldest is. Each partition costs
 * one Store.overdue read (a ZCOUNT and a ZRANGE on Redis, an index query elsewhere), bounded by
 * CONSOLE_OVERVIEW_TASKS x CONSOLE_GRID_PARTITIONS, and the whole is computed at most once a
 * CONSOLE_FIGURES_TTL_MS for every viewer together (figures-cache.ts).
 */

/** One replica as the overview lists it. */
export interface ReplicaRow {
  readonly id: string;
  readonly address: string;
  /** "live" with a recent heartbeat, "this replica" without member records. */
  readonly health: string;
  readonly startedAt: number | undefined;
  /** Ms until the member record expires (membership mode). */
  readonly expiresInMs: number | undefined;
}

/** One partition of the grid. */
export interface GridCell {
  readonly partition: number;
  /** Index into the task's owners (the colour), or -1 when nobody owns it. */
  readonly owner: number;
  readonly due: number;
  /** Ms since the oldest due instance's ready time; undefined when none is due. */
  readonly oldestMs: number | undefined;
  /** True when the oldest is past the task's misfire grace (it should have run). */
  readonly overdue: boolean;
}

/** One task's grid. */
export interface TaskGrid {
  readonly task: TaskRecord;
  readonly owners: readonly string[];
  readonly cells: readonly GridCell[];
  readonly due: number;
  readonly overdue: number;
}

/** Everything the overview shows except the rates. */
export interface OverviewFigures {
  readonly at: number;
  readonly storeHealthy: boolean;
  readonly ownershipMode: string;
  readonly replicas: readonly ReplicaRow[];
  readonly grids: readonly TaskGrid[];
  /** True when there are more tasks than the overview shows. */
  readonly moreTasks: boolean;
  /** Whether the store can count due instances (Store.overdue). */
  readonly counted: boolean;
}

/** Reads the figures once. */
export async function readOverview(parts: ConsoleParts): Promise<OverviewFigures> {
  const { store, clock, ownership } = parts;
  const now = clock.now();
  const [replicas, page] = await Promise.all([
    readReplicas(parts, now),
    parts.scheduling.listTasks(CONSOLE_OVERVIEW_TASKS, ""),
  ]);
  const grids = await Promise.all(page.items.map((task) => readGrid(parts, task, now)));
  return {
    at: now,
    storeHealthy: store.healthy(),
    ownershipMode: ownership.mode,
    replicas,
    grids,
    moreTasks: page.nextPageToken !== "",
    counted: store.overdue !== undefined,
  };
}

async function readReplicas(parts: ConsoleParts, now: number): Promise<ReplicaRow[]> {
  const { store } = parts;
  if (parts.ownership.mode !== "membership" || store.listMembers === undefined) {
    return [
      {
        id: parts.replicaId,
        address: "",
        health: store.healthy() ? "serving" : "store unreachable",
        startedAt: undefined,
        expiresInMs: undefined,
      },
    ];
  }
  const members = await store.listMembers(now);
  return members.map((m) => ({
    id: m.id,
    address: m.address,
    health: m.expiresAt > now ? "live" : "expired",
    startedAt: m.startedAt,
    expiresInMs: m.expiresAt - now,
  }));
}

async function readGrid(parts: ConsoleParts, task: TaskRecord, now: number): Promise<TaskGrid> {
  const map = parts.ownership.map(task.name, task.partitionCount);
  const owners = map.replicas.map((r) => r.id);
  const ownerOf = new Map<number, number>();
  map.replicas.forEach((replica, i) => {
    for (const p of replica.partitions) ownerOf.set(p, i);
  });
  const shown = Math.min(task.partitionCount, CONSOLE_GRID_PARTITIONS);
  const overdue = parts.store.overdue?.bind(parts.store);
  const cells = await Promise.all(
    Array.from({ length: shown }, async (_, partition): Promise<GridCell> => {
      const found =
        overdue === undefined ? { count: 0, oldest: undefined } : await overdue(task.name, partition, now);
      const oldestMs = found.oldest === undefined ? undefined : Math.max(0, now - found.oldest);
      return {
        partition,
        owner: ownerOf.get(partition) ?? -1,
        due: found.count,
        oldestMs,
        overdue: oldestMs !== undefined && oldestMs > task.misfireGraceMs,
      };
    }),
  );
  return {
    task,
    owners,
    cells,
    due: cells.reduce((n, c) => n + c.due, 0),
    overdue: cells.filter((c) => c.overdue).length,
  };
}
