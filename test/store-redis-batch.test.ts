import test, { type ExecutionContext } from "ava";
import { ErrorCode, hasCode } from "../src/domain/errors.ts";
import type { LeaseRef } from "../src/domain/model.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { draft, LEASE_MS, leaseOf, OWNER, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";

/*
 * A lease batch that fails half way (store.ts): one partition group's script call fails
 * (a key of the wrong type planted in that partition makes Redis refuse the script with
 * WRONGTYPE) while the other group's passes. The passed items answer what happened, the
 * failed group's items "unknown", and only a batch where every group failed throws.
 */

const base = await singleRedisUrl();
test.after.always(forget);

async function twoPartitions(t: ExecutionContext) {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  if (!(store instanceof RedisStore)) throw new Error("openRedisStore answered another store");
  await seed(t, store, taskRecord("split", { partitionCount: 2 }), [
    draft("a", T0, { partition: 0 }),
    draft("b", T0, { partition: 1 }),
  ]);
  const leases: LeaseRef[] = [];
  for (const partition of [0, 1]) {
    const request = { task: "split", partition, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER };
    const [claimed] = (await store.claim(request)).claimed;
    if (claimed === undefined) throw new Error(`nothing claimed in partition ${partition}`);
    leases.push(leaseOf(claimed));
  }
  // Partition 1's due set becomes a string: every script on partition 1 now fails.
  const broken = store.keys.partition("split", 1).due;
  await store.client.del(broken);
  await store.client.set(broken, "not a sorted set");
  return { store, leases, repair: () => store.client.del(broken) };
}

test("redis batch: a commit whose second partition group fails answers ok for the first and unknown for the second", async (t) => {
  const { store, leases, repair } = await twoPartitions(t);
  const [a, b] = leases as [LeaseRef, LeaseRef];
  const results = await store.commit(
    [
      { lease: a, nextRunAt: T0 + 60_000 },
      { lease: b, nextRunAt: T0 + 60_000 },
    ],
    T0 + 1,
  );
  t.deepEqual(
    results.map((r) => r.status),
    ["ok", "unknown"],
  );
  t.like(
    await store.getInstance("split", 0, "a"),
    { nextRunAt: T0 + 60_000, lockedUntil: 0 },
    "a is committed",
  );
  // A batch of the failed group only: nothing can be known, so it throws.
  const error = await t.throwsAsync(store.commit([{ lease: b, nextRunAt: T0 + 60_000 }], T0 + 1));
  t.true(hasCode(error, ErrorCode.Internal));
  t.regex(error?.message ?? "", /WRONGTYPE/);
  await repair();
});

test("redis batch: release and extendLeases answer unknown for the failed group only", async (t) => {
  const { store, leases } = await twoPartitions(t);
  const [a, b] = leases as [LeaseRef, LeaseRef];
  const extended = await store.extendLeases(
    [
      { lease: a, durationMs: LEASE_MS },
      { lease: b, durationMs: LEASE_MS },
    ],
    T0 + 1,
  );
  t.deepEqual(
    extended.map((r) => r.status),
    ["ok", "unknown"],
  );
  t.deepEqual(await store.release([{ lease: a }, { lease: b }], T0 + 2), ["ok", "unknown"]);
  t.like(await store.getInstance("split", 0, "a"), { lockedUntil: 0 }, "a is released");
});
