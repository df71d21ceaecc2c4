import { Redis } from "ioredis";
import { pino } from "pino";
import type { InstanceDraft, InstanceRecord, TaskRecord } from "../../src/domain/model.ts";
import { openStore } from "../../src/store/open.ts";
import type { CommitItem, RunWrite } from "../../src/store/store.ts";

/*
 * The Redis main thread's CPU per execution of the claim and commit scripts, with and without a
 * run recorded (issue 14's history bound, issue 17's profile). It loads one partition with
 * instances all due, then claims and commits them in batches of 256 through the store itself,
 * and reads `used_cpu_user_main_thread + used_cpu_sys_main_thread` (INFO cpu) before and after:
 * CPU seconds of the Redis thread, which other processes on the machine barely move (unlike
 * wall-clock rates).
 *
 *   node --import=tsx bench/tools/redis-script-cost.ts [redis://127.0.0.1:6379] [instances]
 */

const url = process.argv[2] ?? "redis://127.0.0.1:6379";
const count = Number(process.argv[3] ?? 50_000);
const BATCH = 256;

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_user_main_thread") + field("used_cpu_sys_main_thread");
}

async function measure(limit: number): Promise<number> {
  const store = await openStore(`${url}?ns=cost${Date.now()}`, pino({ level: "silent" }));
  await store.ready();
  const redis = new Redis(url);
  const task: TaskRecord = {
    name: "cost",
    dynamic: true,
    schedule: undefined,
    partitionCount: 1,
    executionMode: "at_least_once",
    failureMode: "none",
    leaseMs: 60_000,
    misfirePolicy: "catch_up",
    misfireGraceMs: 1_000,
    defaultArgs: new Uint8Array(0),
    enabled: true,
    historyLimit: limit,
  };
  await store.putTask(task);
  const now = Date.now();
  const drafts: InstanceDraft[] = [];
  for (let i = 0; i < count; i++) {
    drafts.push({
      name: `i${i}`,
      partition: 0,
      partitionKey: "",
      schedule: { kind: "interval", intervalMs: 1_000 },
      args: new Uint8Array(0),
      nextRunAt: now - 1,
      holdUntil: undefined,
    });
  }
  for (let i = 0; i < drafts.length; i += 5_000)
    await store.upsertInstances(task, drafts.slice(i, i + 5_000), "safe", now);
  /*
   * Rounds: each claims and commits every instance once, then an upsert makes them all due
   * again. The first rounds warm up (with history on, they fill each instance's 10 entries, the
   * steady state); only the claims and commits of the last MEASURED are counted.
   */
  const warmup = limit === 0 ? 1 : 10;
  const MEASURED = 3;
  let seconds = 0;
  let executions = 0;
  for (let round = 0; round < warmup + MEASURED; round++) {
    const measured = round >= warmup;
    const before = await redisCpu(redis);
    for (;;) {
      const t = Date.now();
      const { claimed } = await store.claim({
        task: "cost",
        partition: 0,
        now: t,
        limit: BATCH,
        leaseMs: 60_000,
        owner: "bench",
      });
      if (claimed.length === 0) break;
      const items: CommitItem[] = claimed.map((record: InstanceRecord) => ({
        lease: {
          task: "cost",
          partition: 0,
          name: record.name,
          version: record.version,
          incarnation: record.incarnation,
        },
        nextRunAt: t + 3_600_000 * (round + 1) - 1,
        keepLease: false,
        holdUntil: undefined,
        run:
          limit === 0
            ? undefined
            : ({
                record: {
                  slot: record.nextRunAt,
                  deliveredAt: t,
                  finishedAt: t + 3,
                  attempt: 1,
                  worker: "worker-1",
                  outcome: "success",
                  reason: "scheduled",
                  error: "",
                },
                limit,
              } satisfies RunWrite),
        finishManual: false,
      }));
      await store.commit(items, t);
      if (measured) executions += claimed.length;
    }
    if (measured) seconds += (await redisCpu(redis)) - before;
    // Make every instance due again for the next round.
    await store.upsertInstances(task, drafts, "force", Date.now());
  }
  await store.deleteTask("cost");
  await store.close();
  redis.disconnect();
  return (seconds * 1e6) / executions;
}

const limits = (process.env.LIMITS ?? "0,10").split(",").map(Number);
console.log(`redis main-thread CPU per execution (claim + commit, ${count} instances, batches of ${BATCH}):`);
let base: number | undefined;
for (const limit of limits) {
  const cost = await measure(limit);
  base ??= cost;
  const change =
    base === cost ? "" : `  (${cost >= base ? "+" : ""}${(((cost - base) / base) * 100).toFixed(0)} %)`;
  console.log(`  history_limit ${String(limit).padStart(3)}: ${cost.toFixed(2)} us${change}`);
}
