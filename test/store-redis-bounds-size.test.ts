import test from "ava";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { encodeTail, OWNER_OFFSET } from "../src/store/redis/record-codec.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { varintSize, zigzag } from "../src/store/varint.ts";
import { draft, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";

/*
 * Bounds cost nothing when unset: an unbounded record is the same bytes as before bounds
 * existed (the tails below are what the build before them wrote, as in the jitter size test),
 * and a bounded one grows by its two zig-zag varints only (start, end; 0 for the unset one).
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
  [{ kind: "interval", intervalMs: 60_000, jitterMs: 1_000 }, "2081e0d403e807000a020801"],
];
const START = Date.UTC(2027, 0, 1);
const END = Date.UTC(2027, 11, 31);

test("redis record: an unbounded tail is byte for byte the one written before bounds existed", (t) => {
  for (const [schedule, before] of SCHEDULES) {
    t.is(
      encodeTail(draft("customer-000042", 0, { schedule, args }), 32).toString("hex"),
      before,
      schedule.kind,
    );
  }
});

test("redis record: stored sizes, unbounded unchanged and bounded by its two varints only", async (t) => {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  if (!(store instanceof RedisStore)) throw new Error("openRedisStore answered another store");
  const task = taskRecord("sizes", { partitionCount: 1 });
  const drafts = SCHEDULES.flatMap(([schedule], i) => [
    draft(`plain-${i}`, T0, { schedule, args }),
    draft(`both-${i}`, T0, { schedule: { ...schedule, startAtMs: START, endAtMs: END }, args }),
    draft(`end-${i}`, T0, { schedule: { ...schedule, endAtMs: END }, args }),
  ]);
  await seed(t, store, task, drafts);
  const inst = store.keys.partition(task.name, 0).inst;
  const bytes = (ms: number) => varintSize(zigzag(ms));
  for (const [i, [, before]] of SCHEDULES.entries()) {
    const plain = await store.client.hstrlen(inst, `plain-${i}`);
    t.is(plain, OWNER_OFFSET + 1 + before.length / 2, `plain-${i}: header + the old tail`);
    t.is((await store.client.hstrlen(inst, `both-${i}`)) - plain, bytes(START) + bytes(END), `both-${i}`);
    t.is((await store.client.hstrlen(inst, `end-${i}`)) - plain, 1 + bytes(END), `end-${i}: 0 for the start`);
    t.log(
      `${SCHEDULES[i]?.[0].kind}: ${plain} B unbounded, ${plain + bytes(START) + bytes(END)} B with both bounds`,
    );
  }
});
