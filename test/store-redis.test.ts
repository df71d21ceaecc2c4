import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import type { InstanceRecord } from "../src/domain/model.ts";
import { openRedisStore } from "../src/store/redis/open.ts";
import { decodeRecord, encodeTail, OWNER_OFFSET } from "../src/store/redis/record-codec.ts";
import { parseRedisUrl } from "../src/store/redis/url.ts";
import { draft, LEASE_MS, seed, structArgs, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { registerConformance } from "./store-conformance/suite.ts";
import { forget, singleRedisUrl, withFreshNamespace } from "./support/redis-env.ts";
import { startRedisServer } from "./support/redis-server.ts";
import { waitFor } from "./support/wait.ts";

const base = await singleRedisUrl();
test.after.always(forget);

registerConformance("redis", () => openRedisStore(withFreshNamespace(base)));

// --- adapter-only cases ------------------------------------------------------------------------

function codeOf(error: unknown): ErrorCode | undefined {
  return error instanceof PartituraError ? error.code : undefined;
}

test("redis url: single, TLS, cluster, credentials, database and namespace", (t) => {
  t.like(parseRedisUrl("redis://127.0.0.1:6379"), {
    mode: "single",
    tls: false,
    db: 0,
    namespace: "partitura",
    endpoints: [{ host: "127.0.0.1", port: 6379 }],
  });
  t.like(parseRedisUrl("rediss://app:s%40cret@cache.example:6380/3?ns=billing"), {
    mode: "single",
    tls: true,
    username: "app",
    password: "s@cret",
    db: 3,
    namespace: "billing",
    endpoints: [{ host: "cache.example", port: 6380 }],
  });
  t.like(parseRedisUrl("redis://:pw@localhost"), { username: undefined, password: "pw" });
  t.deepEqual(parseRedisUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002?ns=a.b-c_d").endpoints, [
    { host: "10.0.0.1", port: 7000 },
    { host: "10.0.0.2", port: 7001 },
    { host: "::1", port: 7002 },
  ]);
});

test("redis url: malformed URLs are INVALID_ARGUMENT naming the rule, without the password", (t) => {
  const cases: [string, RegExp][] = [
    ["redis:/host", /followed by "\/\/"/],
    ["memcached://host", /scheme must be one of/],
    ["redis://host:0", /port 0/],
    ["redis://host:port", /not a host or host:port/],
    ["redis://h1:1,h2:2", /redis\+cluster/],
    ["redis://host/x", /database must be a number/],
    ["redis+cluster://h1:1/2", /only database 0/],
    ["redis://host?ns=a:b", /ns must be/],
    ["redis://host?ns=", /ns must be/],
    ["redis://host?db=2", /unknown parameter "db"/],
    ["redis://user:hunter2@host?ns=%zz", /malformed %-escape/],
  ];
  for (const [url, rule] of cases) {
    const error = t.throws(() => parseRedisUrl(url), undefined, url);
    t.is(codeOf(error), ErrorCode.InvalidArgument, url);
    t.regex(error?.message ?? "", rule, url);
    t.notRegex(error?.message ?? "", /hunter2/, "the password never shows");
  }
});

test("redis record: an interval instance with small args stays well under 100 bytes", (t) => {
  const args = structArgs({ id: 42, kind: "report" });
  const tail = encodeTail(draft("customer-000042", T0, { args }), 32);
  const stored = OWNER_OFFSET + 1 + tail.length;
  t.log(`record of an interval instance with ${args.length} bytes of args: ${stored} bytes`);
  t.true(stored < 100, `${stored} bytes`);
  t.true(stored - args.length <= 40, `${stored - args.length} bytes besides the args`);
});

test("redis record: every schedule kind, partition key and UTF-8 round-trips through the store", async (t) => {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  const task = taskRecord("ünïcode:{tag}", { partitionCount: 3 });
  const drafts = [
    draft("i", T0, { schedule: { kind: "interval", intervalMs: 2 ** 40 } }),
    draft("a", T0, { partition: 1, schedule: { kind: "at", atMs: -86_400_000 }, partitionKey: "kéy" }),
    draft("c:☃", T0 + 1, {
      partition: 2,
      schedule: { kind: "cron", cron: "*/5 * * * * *", timezone: "America/New_York" },
      args: structArgs({ nested: { list: [1, "two", null] } }),
    }),
  ];
  const created = await seed(t, store, task, drafts);
  for (const record of created) {
    const read = await store.getInstance(task.name, record.partition, record.name);
    t.deepEqual(read && { ...read, args: [...read.args] }, { ...record, args: [...record.args] });
  }
  const [claimed] = (
    await store.claim({
      task: task.name,
      partition: 2,
      now: T0 + 1,
      limit: 5,
      leaseMs: LEASE_MS,
      owner: "ø".repeat(200),
    })
  ).claimed;
  t.is(claimed?.leaseOwner, "ø".repeat(127), "an owner over 255 bytes is cut on a character boundary");
});

test("redis record: a record of an unknown format is INTERNAL, never a guess", (t) => {
  const bytes = Buffer.alloc(40);
  bytes[0] = 99;
  const error = t.throws(() => decodeRecord("t", 0, "n", bytes));
  t.is(codeOf(error), ErrorCode.Internal);
  t.regex(error?.message ?? "", /instance "n".*unknown format 99/);
});

test("redis: the namespace isolates deployments sharing one Redis", async (t) => {
  const first = await openRedisStore(withFreshNamespace(base));
  const second = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => Promise.all([first.close(), second.close()]));
  await seed(t, first, taskRecord("reports"), [draft("a", T0)]);
  t.is(await second.getTask("reports"), undefined);
  t.deepEqual(
    (await second.claim({ task: "reports", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: "x" }))
      .claimed,
    [],
  );
  t.is(
    (await first.claim({ task: "reports", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: "x" }))
      .claimed.length,
    1,
  );
});

test("redis: a batch over many partitions and more than one script's worth answers in input order", async (t) => {
  const store = await openRedisStore(withFreshNamespace(base));
  t.teardown(() => store.close());
  const task = taskRecord("bulk", { partitionCount: 8 });
  await store.putTask(task);
  const drafts = Array.from({ length: 2_500 }, (_, i) => draft(`n${i}`, T0 + i, { partition: i % 8 }));
  drafts.push(draft("n7", T0 - 1, { partition: 7 })); // the same instance again, in one batch
  const results = await store.upsertInstances(task, drafts, "safe", T0);
  t.deepEqual(
    results.map((r) => r.instance.name),
    drafts.map((d) => d.name),
  );
  t.is(results.at(-1)?.outcome, "updated", "the repeated draft sees the first one's write");
  t.is(results.at(-1)?.instance.nextRunAt, T0 - 1);
  let claimed: InstanceRecord[] = [];
  for (let p = 0; p < 8; p++)
    claimed = claimed.concat(
      (
        await store.claim({
          task: "bulk",
          partition: p,
          now: T0 + 5_000,
          limit: 5_000,
          leaseMs: LEASE_MS,
          owner: "x",
        })
      ).claimed,
    );
  t.is(claimed.length, 2_500);
  const commits = await store.commit(
    claimed.map((r) => ({ lease: r, nextRunAt: null })),
    T0 + 5_000,
  );
  t.true(commits.every((c) => c.status === "ok"));
  t.false(await store.hasInstances(task));
});

test("redis: with Redis down, calls fail fast with UNAVAILABLE and healthy() is false; it recovers", async (t) => {
  const server = await startRedisServer();
  t.teardown(() => server.dispose());
  const url = `${server.url}?ns=outage`;
  const errors: Error[] = [];
  const store = await openRedisStore(url, { onError: (e) => errors.push(e) });
  t.teardown(() => store.close());
  await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
  await server.kill("SIGKILL");

  const started = Date.now();
  const error = await t.throwsAsync(store.getTask("reports"));
  t.is(codeOf(error), ErrorCode.Unavailable, error?.message);
  t.true(Date.now() - started < 5_000, "fails rather than hangs");
  // The driver notices the closed socket a moment after the first failed write.
  await waitFor(() => !store.healthy(), 5_000);
  t.false(store.healthy());
  await waitFor(() => errors.length > 0, 5_000);
  t.true(errors.length > 0, "the failed reconnects are reported");

  const restarted = await startRedisServer({ port: server.port });
  t.teardown(() => restarted.dispose());
  await waitFor(() => store.healthy(), 10_000);
  t.true(store.healthy(), "reconnected");
  t.is(await store.getTask("reports"), undefined, "a fresh server without persistence is empty");
});

test("redis: opening a Redis that is not there is UNAVAILABLE", async (t) => {
  const server = await startRedisServer();
  await server.dispose();
  const error = await t.throwsAsync(openRedisStore(`${server.url}?ns=nothing`, { onError: () => {} }));
  t.is(codeOf(error), ErrorCode.Unavailable, error?.message);
});
