import type { Logger } from "pino";
import { toError } from "../domain/errors.ts";
import { MAX_OVERDUE_QUERIES_PER_SAMPLE } from "../domain/limits.ts";
import type { Store } from "../store/store.ts";

/*
 * "Never stop silently": every few seconds, per task, how many instances are due longer than
 * the task's misfire grace ago and still not claimed, and how old the oldest is. Read from each
 * partition's due index (Store.overdue), at most MAX_OVERDUE_QUERIES_PER_SAMPLE queries a
 * sample; a task is published once all its partitions were read, so a big fleet of tasks is
 * covered over a few samples instead of in one burst.
 */

/** One task's figures. */
export interface OverdueFigures {
  readonly count: number;
  /** Seconds since the oldest overdue ready time; 0 when none. */
  readonly oldestSeconds: number;
}

/** What the sampler needs. */
export interface OverdueSamplerOptions {
  readonly store: Store;
  readonly now: () => number;
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Called with each task's figures, and with the tasks that are gone. */
  readonly publish: (task: string, figures: OverdueFigures | undefined) => void;
  /** Only partitions this replica owns are read; all by default. */
  readonly owns?: (task: string, partition: number) => boolean;
}

/** Starts sampling; the returned function stops it. Without Store.overdue it does nothing. */
export function startOverdueSampler(options: OverdueSamplerOptions): () => void {
  const { store, logger } = options;
  const overdue = store.overdue?.bind(store);
  if (overdue === undefined) return () => {};
  const owns = options.owns ?? (() => true);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let published = new Set<string>();
  // Where the previous sample stopped: the next task name to read.
  let resumeAfter: string | undefined;
  let seen = new Set<string>();

  const sample = async (): Promise<void> => {
    let budget = MAX_OVERDUE_QUERIES_PER_SAMPLE;
    const now = options.now();
    let after = resumeAfter;
    for (;;) {
      const tasks = await store.listTasks(100, after);
      if (tasks.length === 0) {
        // A full pass ended: forget tasks that are gone.
        for (const task of published) if (!seen.has(task)) options.publish(task, undefined);
        published = seen;
        seen = new Set();
        resumeAfter = undefined;
        return;
      }
      for (const task of tasks) {
        if (budget < task.partitionCount && budget < MAX_OVERDUE_QUERIES_PER_SAMPLE) {
          resumeAfter = after;
          return;
        }
        let count = 0;
        let oldest: number | undefined;
        for (let partition = 0; partition < task.partitionCount; partition++) {
          if (!owns(task.name, partition)) continue;
          budget--;
          const found = await overdue(task.name, partition, now - task.misfireGraceMs);
          count += found.count;
          if (found.oldest !== undefined && (oldest === undefined || found.oldest < oldest))
            oldest = found.oldest;
        }
        options.publish(task.name, {
          count,
          oldestSeconds: oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000,
        });
        seen.add(task.name);
        after = task.name;
      }
    }
  };

  const loop = (): void => {
    if (stopped) return;
    sample()
      .then(
        () => {},
        (thrown: unknown) => {
          // A sample cut short by the shutdown (the store closing under it) is no failure.
          if (!stopped) logger.warn({ err: toError(thrown) }, "overdue sample failed; next one soon");
        },
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.intervalMs);
      });
  };
  timer = setTimeout(loop, 0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
