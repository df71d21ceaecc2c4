import type { InstanceRecord } from "../../src/domain/model.ts";
import type { CommitItem, Store } from "../../src/store/store.ts";
import { benchTask, loadInstances, openBenchStore } from "../lib/load.ts";
import { sizesFor } from "../lib/options.ts";
import type { Scenario, ScenarioContext } from "../lib/scenario.ts";
import { round1 } from "../lib/stats.ts";
import { prepareTarget } from "../lib/targets.ts";

/** Due instances claimed and committed per timed round, claims of this many each, rounds. */
const DUE = 5_000;
const CLAIM_LIMIT = 1_000;
const ROUNDS = 5;

/**
 * scale: the store-level cost of claim + commit per execution as the number of stored
 * instances grows. All instances sit in one partition (one sorted set and one hash: the worst
 * case for the index); DUE of them are made due before each round (untimed), then claimed in
 * batches of CLAIM_LIMIT and committed to a slot far ahead (timed). The figure is the best
 * round's µs per execution (other processes on the machine only ever add time, so the best
 * round is the cleanest reading; the median is kept beside it); the target compares the
 * largest size with the smallest.
 */
export const scaleScenario: Scenario = {
  name: "scale",
  summary: "claim+commit cost per execution at 10,000, 100,000 and 1,000,000 stored instances",
  run: async (context: ScenarioContext) => {
    const { options } = context;
    const sizes = sizesFor(options, [10_000, 100_000, 1_000_000], [10_000, 50_000]);
    let smallest: number | undefined;
    for (const count of sizes) {
      const target = await prepareTarget("redis", "scale", options);
      const store = await openBenchStore(target.url);
      try {
        const task = benchTask("bench", 1);
        await store.putTask(task);
        const far = Date.now() + 86_400_000;
        const seconds = await loadInstances(
          store,
          task,
          { count, schedule: () => ({ kind: "interval", intervalMs: 1_000 }), nextRunAt: (i) => far + i },
          5_000,
          4,
        );
        context.log(`scale: loaded ${count} instances in ${seconds.toFixed(1)} s`);
        const rounds: { claimUs: number; commitUs: number }[] = [];
        // Round 0 warms the scripts and the JIT up and is not counted.
        for (let round = 0; round <= ROUNDS; round++) {
          const due = Math.min(DUE, count);
          const first = (round * due) % Math.max(1, count - due + 1);
          await loadInstances(
            store,
            task,
            {
              count: due,
              schedule: () => ({ kind: "interval", intervalMs: 1_000 }),
              nextRunAt: (i) => Date.now() - 1_000 - i,
              name: (i) => `i${first + i}`,
              replace: true,
            },
            5_000,
            1,
          );
          const cost = await claimAndCommit(store, due, far);
          if (round > 0) rounds.push(cost);
        }
        const totals = rounds.map((r) => r.claimUs + r.commitUs).sort((x, y) => x - y);
        const best = totals[0] ?? Number.NaN;
        const median = totals[Math.floor(totals.length / 2)] ?? Number.NaN;
        const bestRound = rounds.find((r) => r.claimUs + r.commitUs === best) ?? rounds[0];
        smallest ??= best;
        const growth = best / smallest;
        context.emit({
          scenario: "scale",
          system: "partitura",
          store: "redis",
          size: count,
          value: round1(best),
          unit: "µs/execution (claim+commit)",
          better: "lower",
          target: {
            text: `within 20 % of the ${sizes[0]?.toLocaleString("en-US")} figure (x${growth.toFixed(2)})`,
            met: growth <= 1.2,
          },
          details: {
            claim_us: round1(bestRound?.claimUs ?? Number.NaN),
            commit_us: round1(bestRound?.commitUs ?? Number.NaN),
            median_us: round1(median),
            due_per_round: Math.min(DUE, count),
            claim_limit: CLAIM_LIMIT,
            partitions: 1,
            rounds: ROUNDS,
          },
        });
      } finally {
        await store.close();
        await target.cleanup();
      }
    }
  },
};

/** Claims every due instance in batches and commits each batch; µs per execution of each. */
async function claimAndCommit(
  store: Store,
  due: number,
  far: number,
): Promise<{ claimUs: number; commitUs: number }> {
  let claimMs = 0;
  let commitMs = 0;
  let done = 0;
  while (done < due) {
    const now = Date.now();
    let t = performance.now();
    const claimed: InstanceRecord[] = (
      await store.claim({
        task: "bench",
        partition: 0,
        now,
        limit: CLAIM_LIMIT,
        leaseMs: 60_000,
        owner: "bench",
      })
    ).claimed;
    claimMs += performance.now() - t;
    if (claimed.length === 0) throw new Error(`scale: only ${done} of ${due} due instances were claimed`);
    const items: CommitItem[] = claimed.map((r) => ({
      lease: {
        task: r.task,
        partition: r.partition,
        name: r.name,
        version: r.version,
        incarnation: r.incarnation,
      },
      nextRunAt: far,
    }));
    t = performance.now();
    const results = await store.commit(items, now);
    commitMs += performance.now() - t;
    if (results.some((r) => r.status !== "ok")) throw new Error("scale: a commit was refused");
    done += claimed.length;
  }
  return { claimUs: (claimMs * 1000) / done, commitUs: (commitMs * 1000) / done };
}
