import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { Redis } from "ioredis";
import { KeyLayout } from "../../src/store/redis/keys.ts";
import { parseRedisUrl } from "../../src/store/redis/url.ts";
import { forget, singleRedisUrl } from "../support/redis-env.ts";
import { forgetTestStores, startTestServer, testStoreUrl } from "../support/server.ts";

/*
 * End-to-end servers on the machine's shared Redis (the Redis rounds of scripts/test.sh) get a
 * namespace per test from testStoreUrl. The data must outlive a server's stop, since restart
 * tests start a second server on the same URL, but not the test file: forgetTestStores, which
 * runs by itself after every test file that imports the test server, deletes those keys.
 */

test.after.always(forget);

/** How many keys `namespace` holds on the single Redis at `url`. */
async function countKeys(url: string, namespace: string): Promise<number> {
  const endpoint = parseRedisUrl(url).endpoints[0];
  const client = new Redis({ ...endpoint, lazyConnect: true });
  try {
    await client.connect();
    let count = 0;
    for (const pattern of new KeyLayout(namespace).patterns()) {
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        count += keys.length;
        cursor = next;
      } while (cursor !== "0");
    }
    return count;
  } finally {
    client.disconnect();
  }
}

test("a test store on a redis:// URL keeps its data across a restart, then leaves no key behind", async (t) => {
  const base = await singleRedisUrl();
  const storeUrl = testStoreUrl(base);
  const namespace = new URLSearchParams(storeUrl.slice(storeUrl.indexOf("?"))).get("ns") ?? "";
  t.regex(namespace, /^t[0-9a-z]+$/, "a namespace of its own");

  const first = await startTestServer({ storeUrl });
  await first.scheduler.putTask({ task: { name: "kept", dynamic: true, partitionCount: 4 } });
  await first.scheduler.schedule({
    task: "kept",
    instances: ["a", "b", "c"].map((name) => ({
      name,
      schedule: { kind: { case: "interval", value: durationFromMs(60_000) } },
    })),
  });
  await first.stop();
  t.true((await countKeys(base, namespace)) > 0, "the data outlives the server");

  const second = await startTestServer({ storeUrl });
  const listed = await second.scheduler.listInstances({ task: "kept", pageSize: 1_000 });
  t.deepEqual(listed.instances.map((i) => i.name).sort(), ["a", "b", "c"], "a restart finds it");
  await second.stop();

  await forgetTestStores();
  t.is(await countKeys(base, namespace), 0, "no key of the namespace is left in the shared Redis");
});
