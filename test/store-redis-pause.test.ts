import test from "ava";
import { openRedisStore } from "../src/store/redis/open.ts";
import { RECORD_FORMAT, RECORD_FORMAT_PAUSED } from "../src/store/redis/record-codec.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { draft, seed, structArgs, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";

/*
 * Pause on Redis, byte for byte (issue 14): an active record is exactly what it was before
 * pausing existed, a paused one costs its pause section, and a resume gives the active record
 * back unchanged; the paused instance is out of `due` and back in it after the resume.
 */

const base = await singleRedisUrl();
test.after.always(forget);

test("redis: a pause adds 8 bytes and the note; a resume restores the record byte for byte", async (t) => {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  if (!(store instanceof RedisStore)) return t.fail("openRedisStore opens a RedisStore");
  const task = taskRecord("reports");
  await seed(t, store, task, [draft("a", T0, { args: structArgs({ id: 42 }) })]);
  const keys = store.keys.partition("reports", 0);
  const active = await store.client.hgetBuffer(keys.inst, "a");
  if (active === null) return t.fail("the record is stored");
  t.is(active[0], RECORD_FORMAT);
  t.is(await store.client.zscore(keys.due, "a"), String(T0));

  const note = "ops: mïgration";
  await store.pauseInstances({ task: "reports", refs: [{ partition: 0, name: "a" }], note, now: T0 + 5 });
  const paused = await store.client.hgetBuffer(keys.inst, "a");
  t.is(paused?.[0], RECORD_FORMAT_PAUSED);
  t.is(paused?.length, active.length + 8 + Buffer.byteLength(note), "6 bytes of time, 2 of length, the note");
  t.is(await store.client.zscore(keys.due, "a"), null, "out of the due sorted set");

  await store.resumeInstances({
    task: "reports",
    refs: [{ partition: 0, name: "a" }],
    skipMissed: false,
    now: T0,
  });
  const resumed = await store.client.hgetBuffer(keys.inst, "a");
  t.true(resumed?.equals(active), "the active record is back, byte for byte");
  t.is(await store.client.zscore(keys.due, "a"), String(T0));
});
