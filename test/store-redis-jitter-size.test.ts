import test from "ava";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { encodeTail, OWNER_OFFSET } from "../src/store/redis/record-codec.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { varintSize } from "../src/store/varint.ts";
import { draft, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";

/*
 * Jitter costs nothing when unset (issue 14's hot-path budget): an un-jittered record is the
 * same bytes as before jitter existed (the tails below are what the build before it wrote),
 * and a jittered one grows by its varint only; its hold lives in the header's lockedUntil.
 */

const base = await singleRedisUrl();
test.after.always(forget);

const args = new Uint8Array([10, 2, 8, 1]);
const SCHEDULES: readonly [ScheduleSpec, string][] = [
  [{ kind: "interval", intervalMs: 60_000 }, "2001e0d403000a020801"],
  [
    { kind: "cron", cron: "0 9 * * *", timezone: "Europe/Berlin" },
    "200309302039202a202a202a0d4575726f70652f4265726c696e000a020801",
  ],
  [{ kind: "at", atMs: 1_893_456_000_000 }, "200280d0adac9b6e000a020801"],
];

test("redis record: an un-jittered tail is byte for byte the one written before jitter existed", (t) => {
  for (const [schedule, before] of SCHEDULES) {
    t.is(
      encodeTail(draft("customer-000042", 0, { schedule, args }), 32).toString("hex"),
      before,
      schedule.kind,
    );
  }
});

test("redis record: stored sizes, un-jittered unchanged and jittered by its varint only", async (t) => {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  if (!(store instanceof RedisStore)) throw new Error("openRedisStore answered another store");
  const task = taskRecord("sizes", { partitionCount: 1 });
  const jitterMs = 60_000;
  const drafts = SCHEDULES.flatMap(([schedule], i) => [
    draft(`plain-${i}`, T0, { schedule, args }),
    draft(`jit-${i}`, T0, { schedule: { ...schedule, jitterMs }, args, holdUntil: T0 + 1_234 }),
  ]);
  await seed(t, store, task, drafts);
  const inst = store.keys.partition(task.name, 0).inst;
  for (const [i, [, before]] of SCHEDULES.entries()) {
    const plain = await store.client.hstrlen(inst, `plain-${i}`);
    const jittered = await store.client.hstrlen(inst, `jit-${i}`);
    t.is(plain, OWNER_OFFSET + 1 + before.length / 2, `plain-${i}: header + the old tail`);
    t.is(
      jittered - plain,
      varintSize(jitterMs),
      `jit-${i}: the jitter's varint, ${varintSize(jitterMs)} bytes`,
    );
    t.log(`${SCHEDULES[i]?.[0].kind}: ${plain} B un-jittered, ${jittered} B with a 60 s jitter`);
  }
});
