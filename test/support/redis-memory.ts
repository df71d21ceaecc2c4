import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { KeyLayout } from "../../src/store/redis/keys.ts";
import { openRedisStore } from "../../src/store/redis/open.ts";
import { structArgs, T0, taskRecord } from "../store-conformance/fixtures.ts";
import { deleteNamespace } from "./redis-env.ts";

/*
 * A memory check to run by hand (not a test: it takes a while and measures, asserts nothing):
 *
 *   node --import=tsx test/support/redis-memory.ts [COUNT] [PARTITIONS] [REDIS_URL]
 *
 * Schedules COUNT (default 100,000) interval instances named `i<n>` with small args
 * (`{"user": "u<n>"}`, as the bench uses) in a task of PARTITIONS (default 16) partitions, in a fresh namespace, then prints the bytes per instance
 * by MEMORY USAGE of the namespace's keys (exact, SAMPLES 0) and by the INFO used_memory delta
 * (which others' writes to a shared Redis can disturb), and deletes the namespace.
 */

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 100_000);
  const partitions = Number(process.argv[3] ?? 16);
  const url = process.argv[4] ?? "redis://127.0.0.1:6379";
  const namespace = `memory-${randomBytes(4).toString("hex")}`;
  const admin = new Redis(url);
  const store = await openRedisStore(`${url}?ns=${namespace}`);
  try {
    const before = await usedMemory(admin);
    const task = taskRecord("memory", { partitionCount: partitions });
    await store.putTask(task);
    const batch = 1_000;
    for (let first = 0; first < count; first += batch) {
      const drafts = Array.from({ length: Math.min(batch, count - first) }, (_, i) => {
        const n = first + i;
        return {
          name: `i${n}`,
          partition: n % partitions,
          partitionKey: "",
          schedule: { kind: "interval" as const, intervalMs: 60_000 },
          args: structArgs({ user: `u${n}` }),
          nextRunAt: T0 + (n % 60_000),
        };
      });
      await store.upsertInstances(task, drafts, "safe", T0);
    }
    const after = await usedMemory(admin);
    const layout = new KeyLayout(namespace);
    let bytes = 0;
    for (let p = 0; p < partitions; p++) {
      const keys = layout.partition("memory", p);
      for (const key of [keys.due, keys.inst]) {
        bytes += Number(await admin.memory("USAGE", key, "SAMPLES", 0));
      }
    }
    const report = {
      instances: count,
      partitions,
      argsBytes: structArgs({ user: `u${count - 1}` }).length,
      bytesPerInstanceByMemoryUsage: Math.round((bytes / count) * 10) / 10,
      bytesPerInstanceByInfoDelta: Math.round(((after - before) / count) * 10) / 10,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await store.close();
    await deleteNamespace(url, namespace);
    admin.disconnect();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match?.[1] === undefined) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}

main().catch((thrown: unknown) => {
  process.stderr.write(`${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}\n`);
  process.exitCode = 1;
});
