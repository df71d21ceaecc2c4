import type { RunRecord, TaskRecord } from "../../src/domain/model.ts";
import type { Store } from "../../src/store/store.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import { connect, memoryOfKeys } from "../lib/redis.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { prepareTarget } from "../lib/targets.ts";

/** Instances per claim and commit call, as the engine's claim batch. */
const BATCH = 2_000;
const PARTITIONS = 16;
const SECOND = 1_000;

/**
 * history-memory (issue 14): what run history costs on Redis. N interval instances are loaded,
 * then run through the store itself (claim and commit, at store-given times, so no waiting):
 * once as the engine commits with history_limit 0 (no run written: it records nothing, not even
 * counters), then ten times with a run record and a limit of 10. Reported from MEMORY USAGE
 * over the namespace's keys: the growth per instance with history off (issue 14's bound: at
 * most 40 bytes) and the bytes a history entry adds (head and hash field included).
 */
export const historyMemoryScenario: Scenario = {
  name: "history-memory",
  summary: "Redis bytes per instance with history off (counters) and per history entry (K = 10)",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    for (const count of sizesFor(options, [100_000], [10_000])) {
      const target = await prepareTarget("redis", "history-memory", options);
      const redis = connect(options.redisUrl);
      const store = await openBenchStore(target.url);
      try {
        const task = benchTask("bench", PARTITIONS);
        await store.putTask(task);
        const start = Date.now() + 86_400_000;
        await loadInstances(store, task, {
          count,
          schedule: () => ({ kind: "interval", intervalMs: SECOND }),
          nextRunAt: () => start,
        });
        const loaded = await memoryOfKeys(redis, target.where);
        await runAll(store, task, start, 0);
        const off = await memoryOfKeys(redis, target.where);
        for (let round = 1; round <= 10; round++) await runAll(store, task, start + round * SECOND, 10);
        const full = await memoryOfKeys(redis, target.where);
        const growth = Math.round((off.bytes - loaded.bytes) / count);
        const perEntry = Math.round((full.bytes - off.bytes) / (count * 10));
        context.log(
          `history-memory: ${count} instances, +${growth} B after a run with history off, ${perEntry} B/entry`,
        );
        context.emit({
          scenario: "history-memory",
          system: "partitura",
          store: "redis",
          size: count,
          value: growth,
          unit: "bytes/instance grown by a run with history off",
          better: "lower",
          target: { text: "<= 40 bytes", met: growth <= 40 },
          details: {
            bytes_per_instance_loaded: Math.round(loaded.bytes / count),
            bytes_per_instance_after_run_history_off: Math.round(off.bytes / count),
            bytes_per_history_entry: perEntry,
            bytes_per_instance_history_10: Math.round(full.bytes / count),
          },
        });
      } finally {
        await store.close();
        redis.disconnect();
        await target.cleanup();
      }
    }
  },
};

/** Claims every instance due at `now` and commits it with a run, partition by partition. */
async function runAll(store: Store, task: TaskRecord, now: number, limit: number): Promise<void> {
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (;;) {
      const { claimed } = await store.claim({
        task: task.name,
        partition,
        now,
        limit: BATCH,
        leaseMs: 60_000,
        owner: "bench",
      });
      if (claimed.length === 0) break;
      await store.commit(
        claimed.map((record) => {
          const run: RunRecord = {
            slot: record.nextRunAt,
            deliveredAt: now + 3,
            finishedAt: now + 41,
            attempt: 1,
            worker: "bench-worker-1",
            outcome: "success",
            reason: "scheduled",
            error: "",
          };
          return {
            lease: {
              task: record.task,
              partition,
              name: record.name,
              version: record.version,
              incarnation: record.incarnation,
            },
            nextRunAt: record.nextRunAt + SECOND,
            keepLease: false,
            holdUntil: undefined,
            // History off: the engine writes no run at all (ack.ts heldRun).
            run: limit === 0 ? undefined : { record: run, limit },
          };
        }),
        now,
      );
    }
  }
}
