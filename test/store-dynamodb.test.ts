import { CreateTableCommand, ScanCommand, ThrottlingException } from "@aws-sdk/client-dynamodb";
import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { selectPartition } from "../src/domain/selector.ts";
import { createDynamoClient } from "../src/store/dynamodb/client.ts";
import { DynamoStore, openDynamoStore } from "../src/store/dynamodb/dynamodb-store.ts";
import { parseDynamoUrl } from "../src/store/dynamodb/url.ts";
import {
  byName,
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  OWNER,
  SECOND,
  seed,
  T0,
  taskRecord,
} from "./store-conformance/fixtures.ts";
import { registerConformance } from "./store-conformance/suite.ts";
import {
  dropTestTables,
  freshDynamoUrl,
  openFreshDynamo,
  rawDynamoClient,
} from "./support/dynamodb-local.ts";

test.after.always(dropTestTables);

registerConformance("dynamodb", () => openFreshDynamo());

// --- adapter-only cases ------------------------------------------------------------------------

function codeOf(error: unknown): ErrorCode | undefined {
  return error instanceof PartituraError ? error.code : undefined;
}

test("dynamodb: the items of a 32-partition task sit under 32 distinct partition keys", async (t) => {
  const url = await freshDynamoUrl({ ns: "layout" });
  const store = await openDynamoStore(url);
  t.teardown(() => store.close());
  const task = taskRecord("fanout", { partitionCount: 32 });
  const drafts = Array.from({ length: 320 }, (_, i) => {
    const name = `job-${i}`;
    return draft(name, T0, { partition: selectPartition(name, 32) });
  });
  await seed(t, store, task, drafts);

  const client = await rawDynamoClient();
  t.teardown(() => client.destroy());
  const items = await client.send(new ScanCommand({ TableName: parseDynamoUrl(url).table }));
  const instanceKeys = (items.Items ?? [])
    .filter((item) => item.sk?.S?.startsWith("job-"))
    .map((item) => item.pk?.S);
  t.is(instanceKeys.length, 320);
  t.deepEqual(
    [...new Set(instanceKeys)].sort(),
    Array.from({ length: 32 }, (_, p) => `layout#fanout#${p}`).sort(),
    "one partition key per task partition, named ns#task#partition",
  );
  const partitionOf = new Map(drafts.map((d) => [d.name, d.partition]));
  for (const item of items.Items ?? []) {
    const name = item.sk?.S ?? "";
    if (partitionOf.has(name)) t.is(item.pk?.S, `layout#fanout#${partitionOf.get(name)}`, name);
  }
});

test("dynamodb: ready stays max(next, locked) through every fenced write", async (t) => {
  const store = await openFreshDynamo();
  t.teardown(() => store.close());
  const task = taskRecord("mixed", { partitionCount: 1 });
  await seed(t, store, task, [draft("a", T0)]);
  const due = async () => store.nextDueAt("mixed", 0);

  // At-most-once: the next slot comes before the lease end, so the lease end rules.
  let [held] = (
    await store.claim({ task: "mixed", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER })
  ).claimed;
  if (held === undefined) return t.fail("a is due");
  const [kept] = await store.commit([{ lease: leaseOf(held), nextRunAt: T0 + SECOND, keepLease: true }], T0);
  t.is(kept?.status, "ok");
  t.is(await due(), T0 + LEASE_MS, "ready at the kept lease's end");
  t.deepEqual(
    (
      await store.claim({
        task: "mixed",
        partition: 0,
        now: T0 + SECOND,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed,
    [],
    "still locked",
  );

  // A heartbeat past the next slot moves ready with it.
  const keptLease = { ...leaseOf(held), version: kept?.version ?? -1 };
  const [extended] = await store.extendLeases([{ lease: keptLease, durationMs: LEASE_MS }], T0 + 10 * SECOND);
  t.is(extended?.lockedUntil, T0 + 40 * SECOND);
  t.is(await due(), T0 + 40 * SECOND);

  // Released without a retry delay: ready falls back to the scheduled slot.
  t.deepEqual(await store.release([{ lease: keptLease }], T0 + 11 * SECOND), ["ok"]);
  t.is(await due(), T0 + SECOND);

  // Claimed again, then committed with the lease kept past a slot later than the lease end.
  [held] = (
    await store.claim({
      task: "mixed",
      partition: 0,
      now: T0 + 12 * SECOND,
      limit: 1,
      leaseMs: LEASE_MS,
      owner: OWNER,
    })
  ).claimed;
  if (held === undefined) return t.fail("a is due again");
  const [later] = await store.commit(
    [{ lease: leaseOf(held), nextRunAt: T0 + 5 * MINUTE, keepLease: true }],
    T0 + 12 * SECOND,
  );
  t.is(await due(), T0 + 5 * MINUTE, "ready at the slot after the lease end");
  // A heartbeat that ends before that slot leaves ready at the slot.
  const laterLease = { ...leaseOf(held), version: later?.version ?? -1 };
  t.like(await store.extendLeases([{ lease: laterLease, durationMs: SECOND }], T0 + 13 * SECOND), [
    { status: "ok", lockedUntil: T0 + 14 * SECOND },
  ]);
  t.is(await due(), T0 + 5 * MINUTE);
  // A retry delay before the slot does not pull it forward.
  t.deepEqual(await store.release([{ lease: laterLease, retryAt: T0 + MINUTE }], T0 + 13 * SECOND), ["ok"]);
  t.is(await due(), T0 + 5 * MINUTE);
  t.like(await store.getInstance("mixed", 0, "a"), { nextRunAt: T0 + 5 * MINUTE, lockedUntil: T0 + MINUTE });
});

test("dynamodb: create=false refuses a missing table at start, naming it and the shape", async (t) => {
  const url = await freshDynamoUrl({ create: "false" });
  const error = await t.throwsAsync(openDynamoStore(url));
  t.is(codeOf(error), ErrorCode.FailedPrecondition);
  t.regex(
    error?.message ?? "",
    /table "t[^"]+" does not exist .*create=false.*local secondary index "ready"/,
  );
});

test("dynamodb: a table of another shape is refused at start, with or without create", async (t) => {
  const url = await freshDynamoUrl();
  const client = await rawDynamoClient();
  t.teardown(() => client.destroy());
  await client.send(
    new CreateTableCommand({
      TableName: parseDynamoUrl(url).table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    }),
  );
  for (const create of ["true", "false"]) {
    const error = await t.throwsAsync(openDynamoStore(`${url}&create=${create}`));
    t.is(codeOf(error), ErrorCode.FailedPrecondition);
    t.regex(error?.message ?? "", /has no local secondary index "ready" on pk \+ ready \(N\)/);
  }
});

test("dynamodb: create=false accepts a table made elsewhere with the documented shape", async (t) => {
  const url = await freshDynamoUrl();
  const client = await rawDynamoClient();
  t.teardown(() => client.destroy());
  await client.send(
    new CreateTableCommand({
      TableName: parseDynamoUrl(url).table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
        { AttributeName: "ready", AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: "ready",
          KeySchema: [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "ready", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
  const store = await openDynamoStore(`${url}&create=false`);
  t.teardown(() => store.close());
  await seed(t, store, taskRecord("infra"), [draft("a", T0)]);
  t.like(
    (await store.claim({ task: "infra", partition: 0, now: T0, limit: 1, leaseMs: LEASE_MS, owner: OWNER }))
      .claimed,
    [{ name: "a", version: 1 }],
  );
});

test("dynamodb: an unreachable endpoint is UNAVAILABLE once retries are spent, and unhealthy", async (t) => {
  const url = "dynamodb://nowhere?region=local&endpoint=http://127.0.0.1:1&maxAttempts=2";
  const opened = await t.throwsAsync(openDynamoStore(url));
  t.is(codeOf(opened), ErrorCode.Unavailable);
  const store = new DynamoStore(parseDynamoUrl(url));
  t.teardown(() => store.close());
  t.true(store.healthy());
  const error = await t.throwsAsync(store.getTask("x"));
  t.is(codeOf(error), ErrorCode.Unavailable);
  t.regex(error?.message ?? "", /dynamodb getTask/);
  t.false(store.healthy());
});

test("dynamodb: store URLs are checked, naming the parameter and its rule", (t) => {
  const refusals: [string, RegExp][] = [
    ["dynamodb://ab", /table name must be 3 to 255/],
    ["dynamodb://table?ns=a%23b", /ns must be 1 to 64/],
    ["dynamodb://table?create=no", /create must be true or false/],
    ["dynamodb://table?maxAttempts=0", /maxAttempts must be an integer from 1 to 20/],
    ["dynamodb://table?endpoint=nope", /endpoint must be a URL/],
    ["dynamodb://table?tabel=x", /unknown parameter "tabel"/],
  ];
  for (const [url, rule] of refusals) {
    const error = t.throws(() => parseDynamoUrl(url));
    t.is(codeOf(error), ErrorCode.InvalidArgument, url);
    t.regex(error?.message ?? "", rule, url);
  }
  t.like(parseDynamoUrl("dynamodb://partitura?region=eu-west-1&ns=prod"), {
    table: "partitura",
    region: "eu-west-1",
    endpoint: undefined,
    create: true,
    namespace: "prod",
  });
});

test("dynamodb: tasks and instances of two namespaces in one table never meet", async (t) => {
  const url = await freshDynamoUrl();
  const [blue, green] = await Promise.all([
    openDynamoStore(`${url}&ns=blue`),
    openDynamoStore(`${url}&ns=green`),
  ]);
  t.teardown(() => Promise.all([blue.close(), green.close()]));
  await seed(t, blue, taskRecord("reports"), [draft("a", T0)]);
  t.deepEqual(await green.listTasks(10), []);
  t.deepEqual(
    (
      await green.claim({
        task: "reports",
        partition: 0,
        now: T0,
        limit: 10,
        leaseMs: LEASE_MS,
        owner: OWNER,
      })
    ).claimed,
    [],
  );
  t.is(await green.nextDueAt("reports", 0), undefined);
  t.like(
    (await blue.claim({ task: "reports", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER }))
      .claimed,
    [{ name: "a" }],
  );
});

test("dynamodb: a throttled claim write leaves the other claims of its batch delivered", async (t) => {
  // DynamoDB Local never throttles, so the client refuses the claim writes of the names in
  // `throttled` itself, before sending (and before the SDK's retries), as a throttle would.
  const config = parseDynamoUrl(await freshDynamoUrl());
  const client = createDynamoClient(config);
  const throttled = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { sk?: { S?: string } } };
      if (context.commandName === "UpdateItemCommand" && throttled.has(input.Key?.sk?.S ?? "")) {
        throw new ThrottlingException({
          message: "Rate of requests exceeds the allowed throughput",
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: "initialize", name: "testThrottle" },
  );
  const store = new DynamoStore(config, client);
  t.teardown(() => store.close());
  await store.ready();
  await seed(t, store, taskRecord("hot", { partitionCount: 1 }), [
    draft("a", T0),
    draft("b", T0),
    draft("c", T0),
  ]);

  throttled.add("b");
  const partial = (
    await store.claim({ task: "hot", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER })
  ).claimed;
  t.deepEqual(
    partial.map((r) => r.name),
    ["a", "c"],
    "the passed claims come back: leased to this poller and delivered, not stranded",
  );
  // Only the throttled one is left, so nothing passes and the claim reports the throttle.
  const error = await t.throwsAsync(
    store
      .claim({ task: "hot", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER })
      .then((r) => r.claimed),
  );
  t.is(codeOf(error), ErrorCode.Unavailable);
  throttled.clear();
  const rest = (
    await store.claim({ task: "hot", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER })
  ).claimed;
  t.deepEqual(
    rest.map((r) => r.name),
    ["b"],
    "the throttled one stayed due",
  );
});

test("dynamodb: a lease batch whose write failed after retries answers unknown for that item only", async (t) => {
  // As above, the client refuses the writes of the names in `failing` itself, as a throttle
  // that outlasts the SDK's retries would.
  const config = parseDynamoUrl(await freshDynamoUrl());
  const client = createDynamoClient(config);
  const failing = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { sk?: { S?: string } } };
      const write =
        context.commandName === "UpdateItemCommand" || context.commandName === "DeleteItemCommand";
      if (write && failing.has(input.Key?.sk?.S ?? "")) {
        throw new ThrottlingException({
          message: "Rate of requests exceeds the allowed throughput",
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: "initialize", name: "testThrottle" },
  );
  const store = new DynamoStore(config, client);
  t.teardown(() => store.close());
  await store.ready();
  await seed(t, store, taskRecord("hot", { partitionCount: 1 }), [
    draft("a", T0),
    draft("b", T0),
    draft("c", T0),
  ]);
  const claimed = byName(
    (await store.claim({ task: "hot", partition: 0, now: T0, limit: 10, leaseMs: LEASE_MS, owner: OWNER }))
      .claimed,
  );
  const [a, b, c] = claimed.map(leaseOf);
  if (a === undefined || b === undefined || c === undefined) return t.fail("three claimed");
  failing.add("b");
  const extended = await store.extendLeases(
    [a, b, c].map((lease) => ({ lease, durationMs: LEASE_MS })),
    T0 + 1,
  );
  t.deepEqual(
    extended.map((r) => r.status),
    ["ok", "unknown", "ok"],
  );
  const committed = await store.commit(
    [a, b].map((lease) => ({ lease, nextRunAt: T0 + MINUTE })),
    T0 + 2,
  );
  t.deepEqual(
    committed.map((r) => r.status),
    ["ok", "unknown"],
  );
  t.like(await store.getInstance("hot", 0, "a"), { nextRunAt: T0 + MINUTE, lockedUntil: 0 });
  // Every item failed: nothing is known, so the call throws.
  const error = await t.throwsAsync(store.release([{ lease: b }], T0 + 3));
  t.is(codeOf(error), ErrorCode.Unavailable);
  failing.clear();
  t.deepEqual(await store.release([{ lease: b }, { lease: c }], T0 + 4), ["ok", "ok"]);
});
