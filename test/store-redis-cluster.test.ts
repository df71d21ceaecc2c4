import test from "ava";
import { Cluster } from "ioredis";
import { KeyLayout } from "../src/store/redis/keys.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { parseRedisUrl } from "../src/store/redis/url.ts";
import { draft, LEASE_MS, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { registerConformance } from "./store-conformance/suite.ts";
import { clusterRedisUrl, forget, withFreshNamespace } from "./support/redis-env.ts";

const base = await clusterRedisUrl();
test.after.always(forget);

registerConformance("redis cluster", () => openRedisStore(withFreshNamespace(base)));

test("redis cluster: a 32-partition task's keys land on every master, each partition in one slot", async (t) => {
  const url = withFreshNamespace(base);
  const store = await openRedisStore(url);
  t.teardown(() => store.close());
  t.is(store.kind, "redis-cluster");
  const task = taskRecord("spread", { partitionCount: 32 });
  await seed(
    t,
    store,
    task,
    Array.from({ length: 32 }, (_, p) => draft(`i${p}`, T0, { partition: p })),
  );
  // A claim per partition works (no CROSSSLOT), whichever node holds it.
  for (let p = 0; p < 32; p++)
    t.is(
      (await store.claim({ task: "spread", partition: p, now: T0, limit: 1, leaseMs: LEASE_MS, owner: "x" }))
        .claimed.length,
      1,
    );

  const { endpoints, namespace } = parseRedisUrl(url);
  const admin = new Cluster(endpoints.map((e) => ({ host: e.host, port: e.port })));
  t.teardown(() => admin.disconnect());
  await new Promise((resolve) => admin.once("ready", resolve));
  const layout = new KeyLayout(namespace);
  const masters = admin.nodes("master");
  t.is(masters.length, 3);
  const partitionsPerMaster: number[] = [];
  for (const node of masters) {
    const keys: string[] = [];
    for (const pattern of layout.patterns()) {
      let cursor = "0";
      do {
        const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");
    }
    const partitions = new Set(keys.filter((k) => k.endsWith(":inst")).map((k) => k.split(":")[2]));
    partitionsPerMaster.push(partitions.size);
  }
  t.log(`partitions per master: ${partitionsPerMaster.join(", ")}`);
  t.true(
    partitionsPerMaster.every((n) => n > 0),
    "every master holds some partitions",
  );
  t.is(
    partitionsPerMaster.reduce((a, b) => a + b, 0),
    32,
    "each partition lives on exactly one master",
  );
  for (let p = 0; p < 32; p++) {
    const keys = layout.partition("spread", p);
    const [due, inst] = await Promise.all([
      admin.cluster("KEYSLOT", keys.due),
      admin.cluster("KEYSLOT", keys.inst),
    ]);
    t.is(due, inst, `partition ${p}: due and inst share a slot`);
  }
});
