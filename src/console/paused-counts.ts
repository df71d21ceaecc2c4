import { CONSOLE_PAUSED_SCAN, MAX_PAGE_SIZE } from "../domain/limits.ts";
import { stateOf, type TaskRecord } from "../domain/model.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import type { TaskCounts } from "./task-counts.ts";

/*
 * Paused counts for the tasks page. There is no cheap count: a paused instance leaves the due
 * index (that is how it stops firing), and no store keeps a paused index or counter, so the
 * only count is reading the task's records. A page of tasks reads at most CONSOLE_PAUSED_SCAN
 * records for it, in task order; a task is counted only when its active count (from the due
 * index) fits what is left, and only when the read reaches its end. Larger tasks show no
 * count, and the overview shows none at all (it must stay O(partitions), not O(instances)):
 * both link to the list filtered by state=paused instead. Dead letters are out of the due
 * index too (their record carries a pause), so the same read counts them apart, by stateOf.
 */

/** The out-of-index instances of one task: plain pauses and dead letters. */
export interface PausedCounts {
  readonly paused: number;
  readonly deadLettered: number;
}

/** Paused and dead-letter counts for each task of a page, in order; undefined when not counted. */
export async function countPaused(
  scheduling: SchedulingService,
  tasks: readonly TaskRecord[],
  counts: readonly (TaskCounts | undefined)[],
): Promise<(PausedCounts | undefined)[]> {
  let budget = CONSOLE_PAUSED_SCAN;
  const out: (PausedCounts | undefined)[] = [];
  for (const [i, task] of tasks.entries()) {
    const active = counts[i]?.instances;
    if (active === undefined || active >= budget) {
      out.push(undefined);
      continue;
    }
    let paused = 0;
    let deadLettered = 0;
    let token = "";
    let done = false;
    while (budget > 0) {
      const page = await scheduling.listInstances(
        task.name,
        undefined,
        Math.min(MAX_PAGE_SIZE, budget),
        token,
      );
      // A read of nothing still costs a read: the budget bounds reads, not only records.
      budget -= Math.max(1, page.items.length);
      for (const record of page.items) {
        const state = stateOf(record);
        if (state === "paused") paused++;
        else if (state === "dead_lettered") deadLettered++;
      }
      token = page.nextPageToken;
      if (token === "") {
        done = true;
        break;
      }
    }
    out.push(done ? { paused, deadLettered } : undefined);
  }
  return out;
}
