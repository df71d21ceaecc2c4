import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, type JsonValue, toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import test, { type ExecutionContext } from "ava";
import { DYNAMODB_UPSERT_WRITES } from "../src/domain/limits.ts";
import { selectPartition } from "../src/domain/selector.ts";
import { openDynamoStore } from "../src/store/dynamodb/dynamodb-store.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { listAll, taskRecord } from "./store-conformance/fixtures.ts";
import { clientsFor } from "./support/clients.ts";
import { dropTestTables, freshDynamoUrl } from "./support/dynamodb-local.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";
import { startServerProcess } from "./support/server-process.ts";

/*
 * Issues 12 and 13: a server SIGKILLed in the middle of a 10,000-instance Schedule has stored
 * whole units of the batch or none of each, and the client can tell which by reading:
 * - SQLite: the unit is the batch (one transaction);
 * - Redis: a partition (one script call per partition; up to 1,000 instances of the batch in
 *   it, and here a partition gets about 625);
 * - DynamoDB: a run of up to 99 of one partition's instances in the order sent (one
 *   transaction each, of a check on the task and 99 puts: DynamoDB allows 100 actions).
 * The client saw UNAVAILABLE; re-sending the same batch to the restarted server converges:
 * every instance stored exactly once, with the schedule and args that were sent.
 *
 * A kill that lands after the batch was stored proves nothing, so each store is killed again,
 * on a fresh task, until a kill lands inside the batch, within MAX_ATTEMPTS:
 * - Redis and DynamoDB: until the batch is partly stored: each kill comes as soon as the store
 *   shows the first instance. (Killing at a delay after sending, halved between a kill that
 *   came too late and one that came too early, never landed in Redis's few-ms write window in
 *   7 tries: the server's own timing varies between runs by more than that.)
 * - SQLite: until a kill lands inside the transaction: once the WAL file was written (the
 *   transaction's pages spill into it before its commit) while a reader still sees nothing,
 *   and the kill left nothing (the commit may win the race between that read and the kill).
 */

const COUNT = 10_000;
const PARTITIONS = 16;
const MAX_ATTEMPTS = 7;
/**
 * Args padding per instance: about 10 MB a batch (under the 16 MiB message bound). More bytes
 * than socket buffers hold keep the server writing while the store already stores, so a kill
 * lands inside the batch more often (with 64 bytes, Redis had the whole pipeline in its socket
 * buffers and ran all of it after the kill about half of the time).
 */
const PAD = 1_000;
/**
 * After a kill, writes the store had already received still land (DynamoDB Local finishes the
 * transactions in flight): the state is read until two reads this far apart agree.
 */
const SETTLE_MS = 500;
/** The longest the state may keep changing after a kill. */
const SETTLE_WITHIN_MS = 10_000;

test.after.always(forget);
test.after.always(dropTestTables);

type Kind = "sqlite" | "redis" | "dynamodb";

/** The batch: distinct cron and args per instance, so a mixed-up record would show. */
function batch() {
  return Array.from({ length: COUNT }, (_, i) => ({
    name: `i${i}`,
    schedule: { kind: { case: "cron" as const, value: `${i % 60} ${i % 24} * * *` } },
    args: { n: i, pad: "x".repeat(PAD) },
  }));
}

type Sent = ReturnType<typeof batch>;

/** The atomic units of a batch on each store, as lists of instance names. */
function unitsOf(kind: Kind, instances: Sent): string[][] {
  if (kind === "sqlite") return [instances.map((i) => i.name)];
  const byPartition = new Map<number, string[]>();
  for (const { name } of instances) {
    const partition = selectPartition(name, PARTITIONS);
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), name]);
  }
  if (kind === "redis") return [...byPartition.values()];
  const runs: string[][] = [];
  for (const names of byPartition.values()) {
    for (let i = 0; i < names.length; i += DYNAMODB_UPSERT_WRITES)
      runs.push(names.slice(i, i + DYNAMODB_UPSERT_WRITES));
  }
  return runs;
}

/** Every stored instance of `task`, by name, failing on a name stored twice. */
async function stored(
  t: ExecutionContext,
  store: Store,
  task: string,
): Promise<Map<string, { cron: string; args: JsonValue }>> {
  const found = new Map<string, { cron: string; args: JsonValue }>();
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const record of await listAll(store, task, partition, 1_000)) {
      t.false(found.has(record.name), `${record.name} is stored once`);
      const cron = record.schedule.kind === "cron" ? record.schedule.cron : record.schedule.kind;
      found.set(record.name, { cron, args: toJson(StructSchema, fromBinary(StructSchema, record.args)) });
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What one kill left. */
interface Attempt {
  readonly task: string;
  /** ms after sending when the kill was sent. */
  readonly killedAtMs: number;
  readonly answer: string;
  readonly stored: number;
  /** Units wholly stored, and units partly stored (must stay 0). */
  readonly whole: number;
  readonly torn: number;
  /**
   * SQLite: the kill was sent after the WAL was written while nothing was visible. With nothing stored
   * after it, the kill landed inside the transaction; the commit may also win the race.
   */
  readonly walWritten: boolean;
}

/** When to kill: once the store shows the first instance, or (SQLite) once its WAL was written while nothing is visible. */
type Trigger = { readonly firstVisible: true } | { readonly walWritten: string };

/**
 * A file's size and modification time, "" when it does not exist: it changes with every write.
 * (The WAL's size alone does not: after a checkpoint SQLite writes it again from its start.)
 */
function stampOf(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.size}/${stat.mtimeNs}`;
  } catch {
    return "";
  }
}

/** Starts a server, creates `task`, sends the batch, SIGKILLs the server at `trigger`, and reads what stayed. */
async function killOnce(
  t: ExecutionContext,
  target: { kind: Kind; url: string; store: Store },
  attempt: { task: string; trigger: Trigger },
): Promise<Attempt> {
  const { task, trigger } = attempt;
  const server = await startServerProcess(target.url);
  const clients = clientsFor(server.address);
  await clients.scheduler.putTask({ task: { name: task, dynamic: true, partitionCount: PARTITIONS } });
  const instances = batch();
  const record = taskRecord(task, { partitionCount: PARTITIONS });
  const walBefore = "walWritten" in trigger ? stampOf(trigger.walWritten) : "";
  let walWritten = false;
  const sentAt = Date.now();
  const sent = clients.scheduler.schedule({ task, instances }).then(
    () => "ok",
    (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown)),
  );
  const deadline = sentAt + 30_000;
  if ("walWritten" in trigger) {
    // Polled without a pause: the spill comes only a few ms before the commit.
    while (Date.now() < deadline) {
      const written = stampOf(trigger.walWritten) !== walBefore;
      if (await target.store.hasInstances(record)) break;
      if (written) {
        walWritten = true;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    // Redis runs a partition's script in a few ms: look again at once, not after a timer.
    while (Date.now() < deadline && !(await target.store.hasInstances(record))) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const killedAtMs = Date.now() - sentAt;
  await server.kill();
  const answer = await sent;
  clients.close();
  const settleBy = Date.now() + SETTLE_WITHIN_MS;
  let after = await stored(t, target.store, task);
  for (;;) {
    await sleep(SETTLE_MS);
    const again = await stored(t, target.store, task);
    if (again.size === after.size) break;
    after = again;
    if (Date.now() > settleBy) {
      t.fail(`${task}: the stored state still changed ${SETTLE_WITHIN_MS} ms after the kill`);
      break;
    }
  }
  let whole = 0;
  let torn = 0;
  for (const unit of unitsOf(target.kind, instances)) {
    const present = unit.filter((name) => after.has(name)).length;
    if (present === unit.length) whole++;
    else if (present > 0) torn++;
  }
  return { task, killedAtMs, answer, stored: after.size, whole, torn, walWritten };
}

/** Kills (see the top) until a kill lands inside the batch, at most MAX_ATTEMPTS times. */
async function killUntilMidBatch(
  t: ExecutionContext,
  target: { kind: Kind; url: string; store: Store },
): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  const trigger: Trigger =
    target.kind === "sqlite"
      ? { walWritten: `${target.url.slice("sqlite:".length)}-wal` }
      : { firstVisible: true };
  for (let k = 0; k < MAX_ATTEMPTS; k++) {
    const attempt = await killOnce(t, target, { task: `bulk${k}`, trigger });
    attempts.push(attempt);
    t.log(
      `kill ${k + 1} at ${attempt.killedAtMs} ms${attempt.walWritten ? " (the WAL was written, nothing visible)" : ""}: ` +
        `Schedule answered "${attempt.answer}"; ` +
        `${attempt.stored} of ${COUNT} stored, ${attempt.whole} whole units, ${attempt.torn} torn`,
    );
    t.is(attempt.torn, 0, `${attempt.task}: every unit is stored whole or not at all`);
    if (attempt.walWritten && attempt.stored === 0) break;
    if (target.kind !== "sqlite" && attempt.stored > 0 && attempt.stored < COUNT) break;
  }
  return attempts;
}

/** Re-sends the last attempt's batch to a restarted server; every instance once, as sent. */
async function resend(t: ExecutionContext, target: { url: string; store: Store }, task: string) {
  const instances = batch();
  const server = await startServerProcess(target.url);
  const clients = clientsFor(server.address);
  try {
    const reply = await clients.scheduler.schedule({ task, instances });
    t.is(reply.instances.length, COUNT, "the re-sent batch is answered whole");
  } finally {
    clients.close();
    await server.stop();
  }
  const after = await stored(t, target.store, task);
  t.is(after.size, COUNT, "every instance is stored");
  const wrong = instances.filter(({ name, schedule, args }) => {
    const record = after.get(name);
    return record?.cron !== schedule.kind.value || JSON.stringify(record.args) !== JSON.stringify(args);
  });
  t.deepEqual(wrong.map((i) => i.name).slice(0, 5), [], "every instance carries the schedule and args sent");
}

async function killAndResend(t: ExecutionContext, target: { kind: Kind; url: string; store: Store }) {
  const attempts = await killUntilMidBatch(t, target);
  const last = attempts.at(-1) as Attempt;
  t.true(
    attempts.some((a) => a.stored < COUNT && a.answer !== "ok"),
    "a kill landed before the batch was stored whole, and the client was told it failed",
  );
  if (target.kind === "sqlite") {
    t.true(
      last.walWritten && last.stored === 0,
      `a kill landed inside the transaction and left nothing, within ${MAX_ATTEMPTS} tries`,
    );
  } else {
    t.true(
      last.stored > 0 && last.stored < COUNT,
      `a kill left the batch partly stored, within ${MAX_ATTEMPTS} tries (${last.stored})`,
    );
  }
  await resend(t, target, last.task);
}

test.serial("sqlite: SIGKILL mid-Schedule stores all or nothing; the re-send converges", async (t) => {
  const path = join(tmpdir(), `partitura-kill-${process.pid}-${Date.now()}.db`);
  const url = `sqlite:${path}`;
  const store = await openSqliteStore(path);
  try {
    await killAndResend(t, { kind: "sqlite", url, store });
  } finally {
    await store.close();
    for (const suffix of ["", "-wal", "-shm"]) await rm(`${path}${suffix}`, { force: true });
  }
});

test.serial("redis: SIGKILL mid-Schedule stores whole partitions; the re-send converges", async (t) => {
  const url = withFreshNamespace(await singleRedisUrl());
  const store = await openRedisStore(url);
  try {
    await killAndResend(t, { kind: "redis", url, store });
  } finally {
    await store.close();
  }
});

test.serial(
  "dynamodb: SIGKILL mid-Schedule stores whole transactions (99 of a partition); the re-send converges",
  async (t) => {
    const url = await freshDynamoUrl();
    const store = await openDynamoStore(url);
    try {
      await killAndResend(t, { kind: "dynamodb", url, store });
    } finally {
      await store.close();
    }
  },
);
