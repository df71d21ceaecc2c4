import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, type JsonValue, toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import test, { type ExecutionContext } from "ava";
import { openRedisStore } from "../src/store/redis/open.ts";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { listAll, taskRecord } from "./store-conformance/fixtures.ts";
import { clientsFor } from "./support/clients.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";
import { startServerProcess } from "./support/server-process.ts";

/*
 * Issue 12: a server SIGKILLed in the middle of a 10,000-instance Schedule may have stored a
 * part of it (Redis: atomic per partition group; SQLite: all or nothing). The client saw
 * UNAVAILABLE; re-sending the same batch to the restarted server must converge: every
 * instance stored exactly once, with the schedule and args that were sent.
 */

const COUNT = 10_000;
const PARTITIONS = 16;
const TASK = "bulk";

test.after.always(forget);

/** The batch: distinct cron and args per instance, so a mixed-up record would show. */
function batch() {
  return Array.from({ length: COUNT }, (_, i) => ({
    name: `i${i}`,
    schedule: { kind: { case: "cron" as const, value: `${i % 60} ${i % 24} * * *` } },
    args: { n: i, pad: "x".repeat(64) },
  }));
}

/** Every stored instance of the task, by name, failing on a name stored twice. */
async function stored(
  t: ExecutionContext,
  store: Store,
): Promise<Map<string, { cron: string; args: JsonValue }>> {
  const found = new Map<string, { cron: string; args: JsonValue }>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const record of await listAll(store, TASK, partition, 1_000)) {
      t.false(found.has(record.name), `${record.name} is stored once`);
      const cron = record.schedule.kind === "cron" ? record.schedule.cron : record.schedule.kind;
      found.set(record.name, { cron, args: toJson(StructSchema, fromBinary(StructSchema, record.args)) });
    }
  }
  return found;
}

/** Starts, schedules, kills mid-batch, restarts, re-sends, compares; answers the count stored before the re-send. */
async function killAndResend(t: ExecutionContext, storeUrl: string, store: Store): Promise<number> {
  const first = await startServerProcess(storeUrl);
  const firstClients = clientsFor(first.address);
  await firstClients.scheduler.putTask({ task: { name: TASK, dynamic: true, partitionCount: PARTITIONS } });
  const instances = batch();
  const sent = firstClients.scheduler.schedule({ task: TASK, instances }).then(
    () => "ok",
    (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown)),
  );
  // Kill as soon as the store shows the batch landing (Redis: the first partition groups; on
  // SQLite that is its commit, so the kill falls at the end or earlier), within 10 s.
  const deadline = Date.now() + 10_000;
  while (
    Date.now() < deadline &&
    !(await store.hasInstances(taskRecord(TASK, { partitionCount: PARTITIONS })))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await first.kill();
  const answer = await sent;
  firstClients.close();
  const before = (await stored(t, store)).size;
  t.log(`first Schedule answered: ${answer}; ${before} of ${COUNT} stored when the server died`);

  const second = await startServerProcess(storeUrl);
  const secondClients = clientsFor(second.address);
  try {
    const reply = await secondClients.scheduler.schedule({ task: TASK, instances });
    t.is(reply.instances.length, COUNT, "the re-sent batch is answered whole");
  } finally {
    secondClients.close();
    await second.stop();
  }
  const after = await stored(t, store);
  t.is(after.size, COUNT, "every instance is stored");
  const wrong = instances.filter(({ name, schedule, args }) => {
    const record = after.get(name);
    return record?.cron !== schedule.kind.value || JSON.stringify(record.args) !== JSON.stringify(args);
  });
  t.deepEqual(wrong.map((i) => i.name).slice(0, 5), [], "every instance carries the schedule and args sent");
  return before;
}

test("redis: SIGKILL mid-Schedule, restart, re-send: every instance once, as sent", async (t) => {
  const url = withFreshNamespace(await singleRedisUrl());
  const store = await openRedisStore(url);
  try {
    await killAndResend(t, url, store);
  } finally {
    await store.close();
  }
});

test("sqlite: SIGKILL mid-Schedule stores all or nothing; the re-send converges", async (t) => {
  const path = join(tmpdir(), `partitura-kill-${process.pid}-${Date.now()}.db`);
  const url = `sqlite:${path}`;
  const store = await openSqliteStore(path);
  try {
    const before = await killAndResend(t, url, store);
    t.true(before === 0 || before === COUNT, `all or nothing before the re-send (saw ${before})`);
  } finally {
    await store.close();
    for (const suffix of ["", "-wal", "-shm"]) await rm(`${path}${suffix}`, { force: true });
  }
});
