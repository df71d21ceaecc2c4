import { CONSOLE_COUNT_READS } from "../domain/limits.ts";
import type { TaskRecord } from "../domain/model.ts";
import { MAX_EPOCH_MS } from "../domain/schedule.ts";
import type { Store } from "../store/store.ts";

/*
 * Instance counts for the tasks page, from the due index (Store.overdue up to the end of time
 * counts every instance; up to now, the due ones): two index reads a partition, never a scan
 * of records. A page of tasks spends at most CONSOLE_COUNT_READS reads; tasks past the budget
 * show no count rather than making the page slow. DynamoDB counts are lower bounds past tens
 * of thousands of instances a partition (see store/dynamodb/overdue.ts).
 */

/** One task's counts, or undefined when not counted (over budget, or the store cannot). */
export interface TaskCounts {
  readonly instances: number;
  readonly due: number;
}

/** Counts for each task of a page, in order. */
export async function countTasks(
  store: Store,
  tasks: readonly TaskRecord[],
  now: number,
): Promise<(TaskCounts | undefined)[]> {
  const overdue = store.overdue?.bind(store);
  if (overdue === undefined) return tasks.map(() => undefined);
  let budget = CONSOLE_COUNT_READS;
  return Promise.all(
    tasks.map(async (task) => {
      if (budget < 2 * task.partitionCount) return undefined;
      budget -= 2 * task.partitionCount;
      const partitions = Array.from({ length: task.partitionCount }, (_, p) => p);
      const read = await Promise.all(
        partitions.map(async (p) => {
          const [all, due] = await Promise.all([
            overdue(task.name, p, MAX_EPOCH_MS),
            overdue(task.name, p, now),
          ]);
          return { instances: all.count, due: due.count };
        }),
      );
      return read.reduce((sum, c) => ({ instances: sum.instances + c.instances, due: sum.due + c.due }), {
        instances: 0,
        due: 0,
      });
    }),
  );
}
