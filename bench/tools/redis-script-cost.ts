import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import type { InstanceDraft, InstanceRecord, TaskRecord } from "../../src/domain/model.ts";
import { openStore } from "../../src/store/open.ts";
import type { CommitItem, Store } from "../../src/store/store.ts";

/*
 * The Redis main thread's cost per execution of the claim and commit scripts, at several
 * history limits (issue 14's history bound, issue 17's profile). One partition is loaded with
 * instances all due; each commit moves its instance to `now - 1`, so it is due again at once
 * and claims walk the instances round-robin. Warm-up executions first fill every instance's
 * history (the steady state), then the measured ones are counted.
 *
 * The cost is read two ways:
 * - CPU: `used_cpu_user_main_thread + used_cpu_sys_main_thread` (INFO cpu) of the Redis thread;
 *   on a shared machine other processes still move it (cache, memory bandwidth).
 * - Instructions, with CALLGRIND_DIR set: Redis runs under `valgrind --tool=callgrind
 *   --collect-atstart=no` (that directory its cwd), and the measured phase is bracketed by
 *   `callgrind_control -i on/off`; instruction counts repeat whatever else the machine does.
 *
 *   node --import=tsx bench/tools/redis-script-cost.ts [redis://127.0.0.1:6379] [instances]
 *   LIMITS=0,1,10 (the history limits to measure), CALLGRIND_DIR=/tmp/cg (see above)
 */

const url = process.argv[2] ?? "redis://127.0.0.1:6379";
const count = Number(process.argv[3] ?? 20_000);
const limits = (process.env.LIMITS ?? "0,10").split(",").map(Number);
const callgrind = process.env.CALLGRIND_DIR;
const BATCH = 256;
const MEASURED_ROUNDS = 3;

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field("used_cpu_user_main_thread") + field("used_cpu_sys_main_thread");
}

/** Instructions counted by callgrind since the last dump (the newest dump's totals). */
function instructions(pid: string): number {
  execFileSync("callgrind_control", ["-d", pid], { stdio: "ignore" });
  const dir = callgrind as string;
  // Dumps are callgrind.out.<pid>.<n>: the newest has the highest n.
  const dump = (file: string) => Number(file.split(".").pop());
  const newest = readdirSync(dir)
    .filter((file) => file.startsWith(`callgrind.out.${pid}.`))
    .sort((a, b) => dump(b) - dump(a))[0];
  const totals = /^totals: (\d+)/m.exec(readFileSync(join(dir, newest ?? ""), "utf8"));
  return Number(totals?.[1] ?? Number.NaN);
}

/** Claims and commits `executions` executions; each commit leaves its instance due again. */
async function run(store: Store, executions: number, limit: number): Promise<void> {
  let done = 0;
  while (done < executions) {
    const now = Date.now();
    const { claimed } = await store.claim({
      task: "cost",
      partition: 0,
      now,
      limit: Math.min(BATCH, executions - done),
      leaseMs: 60_000,
      owner: "bench",
    });
    const items: CommitItem[] = claimed.map((record: InstanceRecord) => ({
      lease: {
        task: "cost",
        partition: 0,
        name: record.name,
        version: record.version,
        incarnation: record.incarnation,
      },
      nextRunAt: now - 1,
      keepLease: false,
      holdUntil: undefined,
      run:
        limit === 0
          ? undefined
          : {
              record: {
                slot: record.nextRunAt,
                deliveredAt: now,
                finishedAt: now + 3,
                attempt: 1,
                worker: "worker-1",
                outcome: "success",
                reason: "scheduled",
                error: "",
              },
              limit,
            },
      finishManual: false,
    }));
    await store.commit(items, now);
    done += claimed.length;
  }
}

async function measure(limit: number): Promise<{ cpuUs: number; instructions: number }> {
  const store = await openStore(`${url}?ns=cost${Date.now()}`, pino({ level: "silent" }));
  await store.ready();
  const redis = new Redis(url);
  const pid = String((/process_id:(\d+)/.exec(await redis.info("server")) ?? [])[1]);
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
  for (let i = 0; i < drafts.length; i += 5_000) {
    await store.upsertInstances(task, drafts.slice(i, i + 5_000), "safe", now);
  }
  // With history on, every instance's entries fill up first: the steady state is measured.
  await run(store, count * Math.max(1, limit), limit);
  const measured = count * MEASURED_ROUNDS;
  if (callgrind !== undefined) execFileSync("callgrind_control", ["-i", "on", pid], { stdio: "ignore" });
  const cpuBefore = await redisCpu(redis);
  await run(store, measured, limit);
  const cpu = (await redisCpu(redis)) - cpuBefore;
  let counted = Number.NaN;
  if (callgrind !== undefined) {
    execFileSync("callgrind_control", ["-i", "off", pid], { stdio: "ignore" });
    counted = instructions(pid) / measured;
  }
  await store.deleteTask("cost");
  await store.close();
  redis.disconnect();
  return { cpuUs: (cpu * 1e6) / measured, instructions: counted };
}

console.log(`redis main thread per execution (claim + commit, ${count} instances, batches of ${BATCH}):`);
let base: { cpuUs: number; instructions: number } | undefined;
for (const limit of limits) {
  const cost = await measure(limit);
  base ??= cost;
  const change = (now: number, then: number) =>
    now === then ? "" : ` (${now >= then ? "+" : ""}${(((now - then) / then) * 100).toFixed(0)} %)`;
  const counted = Number.isNaN(cost.instructions)
    ? ""
    : `, ${Math.round(cost.instructions)} instructions${change(cost.instructions, base.instructions)}`;
  console.log(
    `  history_limit ${String(limit).padStart(3)}: ${cost.cpuUs.toFixed(2)} us CPU${change(cost.cpuUs, base.cpuUs)}${counted}`,
  );
}
