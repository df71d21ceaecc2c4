import { ScanCommand } from "@aws-sdk/client-dynamodb";
import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { createDynamoClient } from "../src/store/dynamodb/client.ts";
import { DynamoStore, openDynamoStore } from "../src/store/dynamodb/dynamodb-store.ts";
import { parseDynamoUrl } from "../src/store/dynamodb/url.ts";
import type { Store } from "../src/store/store.ts";
import { draft, listAll, names, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";
import { dropTestTables, freshDynamoUrl, rawDynamoClient } from "./support/dynamodb-local.ts";

/*
 * Schedule racing DeleteTask (issue 12) at the interleavings a timing race hits only now and
 * then: the middleware of the upserting store's client runs the other side's DeleteTask (and
 * PutTask) on a second store just before the upsert's first instance write leaves, after the
 * upsert has read whatever it reads of the task.
 */

test.after.always(dropTestTables);

const WRITES = new Set(["PutItemCommand", "UpdateItemCommand", "TransactWriteItemsCommand"]);
const PARTITIONS = 4;

/** A store whose first instance write, once armed, first awaits `before`. */
async function hookedStore(url: string) {
  const config = parseDynamoUrl(url);
  const client = createDynamoClient(config);
  const hook: { before: (() => Promise<void>) | undefined; crashAfterWrite: boolean; wrote: boolean } = {
    before: undefined,
    crashAfterWrite: false,
    wrote: false,
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (hook.wrote && hook.crashAfterWrite) {
        // The server died after its writes: nothing it would have sent next leaves.
        throw new Error("simulated crash of the server");
      }
      const write = WRITES.has(context.commandName ?? "");
      const before = hook.before;
      if (before !== undefined && write) {
        hook.before = undefined;
        await before();
      }
      const answer = await next(args);
      if (write) hook.wrote = true;
      return answer;
    },
    { step: "initialize", name: "testInterleave" },
  );
  const store = new DynamoStore(config, client);
  await store.ready();
  return { store, hook };
}

async function instanceNames(store: Store, task: string): Promise<string[]> {
  const all: string[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    all.push(...names(await listAll(store, task, partition)));
  }
  return all;
}

const drafts = Array.from({ length: 40 }, (_, i) => draft(`old-${i}`, T0, { partition: i % PARTITIONS }));

test("dynamodb: a DeleteTask and PutTask between an upsert's task read and its writes leave no instance of the old task in the new one", async (t) => {
  const url = await freshDynamoUrl();
  const { store, hook } = await hookedStore(url);
  const other = await openDynamoStore(url);
  t.teardown(async () => {
    await store.close();
    await other.close();
  });
  const task = taskRecord("raced", { partitionCount: PARTITIONS });
  await seed(t, store, task, [draft("before", T0)]);

  hook.before = async () => {
    t.true(await other.deleteTask("raced"));
    await other.putTask(task);
  };
  const error = await t.throwsAsync(store.upsertInstances(task, drafts, "safe", T0));
  t.is(
    error instanceof PartituraError ? error.code : undefined,
    ErrorCode.NotFound,
    "the stale batch is NOT_FOUND",
  );
  t.true(hook.before === undefined, "the interleaving ran");
  t.deepEqual(
    await instanceNames(other, "raced"),
    [],
    "the task created again has no instance of the old one",
  );
  t.like(await other.upsertInstances(task, [draft("new", T0)], "safe", T0), [{ outcome: "created" }]);
  t.deepEqual(await instanceNames(other, "raced"), ["new"]);
});

test("dynamodb: a server that dies after its upsert writes, while a DeleteTask runs, leaves no orphan", async (t) => {
  const url = await freshDynamoUrl();
  const { store, hook } = await hookedStore(url);
  const other = await openDynamoStore(url);
  t.teardown(async () => {
    await store.close();
    await other.close();
  });
  const task = taskRecord("raced", { partitionCount: PARTITIONS });
  await seed(t, store, task, [draft("before", T0)]);

  hook.before = async () => {
    t.true(await other.deleteTask("raced"));
  };
  hook.wrote = false; // the seeding's writes do not count
  hook.crashAfterWrite = true;
  await t.throwsAsync(store.upsertInstances(task, drafts, "safe", T0));
  t.true(hook.before === undefined, "the interleaving ran");
  // Whatever the dead server sent is all there will be: no clean-up of its own follows.
  const raw = await rawDynamoClient();
  t.teardown(() => raw.destroy());
  const items = await raw.send(new ScanCommand({ TableName: parseDynamoUrl(url).table }));
  const left = (items.Items ?? []).map((item) => item.sk?.S ?? "").filter((sk) => sk.startsWith("old-"));
  t.deepEqual(left, [], "no instance of the deleted task is stored");
  await other.putTask(task);
  t.deepEqual(await instanceNames(other, "raced"), [], "the task created again starts empty");
});

/** A store whose BatchWriteItem calls (the DeleteTask sweep) first await `before`, once armed. */
async function sweepHookedStore(url: string) {
  const config = parseDynamoUrl(url);
  const client = createDynamoClient(config);
  const hook: { before: (() => Promise<void>) | undefined; failSweep: boolean } = {
    before: undefined,
    failSweep: false,
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "BatchWriteItemCommand") {
        if (hook.failSweep) throw new Error("simulated crash of the server during the sweep");
        const before = hook.before;
        hook.before = undefined;
        if (before !== undefined) await before();
      }
      return next(args);
    },
    { step: "initialize", name: "testSweep" },
  );
  const store = new DynamoStore(config, client);
  await store.ready();
  return { store, hook };
}

test("dynamodb: a PutTask while a DeleteTask still sweeps is refused, so the sweep never removes the new task's instances", async (t) => {
  const url = await freshDynamoUrl();
  const { store, hook } = await sweepHookedStore(url);
  const other = await openDynamoStore(url);
  t.teardown(async () => {
    await store.close();
    await other.close();
  });
  const task = taskRecord("swept", { partitionCount: PARTITIONS });
  await seed(t, other, task, drafts.slice(0, 8));

  let refused: unknown;
  hook.before = async () => {
    t.is(await other.getTask("swept"), undefined, "a task being deleted reads as absent");
    t.false((await other.listTasks(10)).some((listed) => listed.name === "swept"));
    refused = await other.putTask(task).then(
      () => undefined,
      (error: unknown) => error,
    );
  };
  t.true(await store.deleteTask("swept"));
  t.true(hook.before === undefined, "the interleaving ran");
  t.true(refused instanceof PartituraError, "the PutTask during the sweep was refused");
  t.is((refused as PartituraError).code, ErrorCode.FailedPrecondition);
  t.regex((refused as PartituraError).message, /task swept is being deleted.*call DeleteTask again/);

  // Once the DeleteTask returned, the name is free, and what is scheduled now stays.
  await other.putTask(task);
  t.like(await other.upsertInstances(task, [draft("new", T0)], "safe", T0), [{ outcome: "created" }]);
  t.deepEqual(await instanceNames(other, "swept"), ["new"]);
});

test("dynamodb: a DeleteTask that died half way is finished by the next one, and until then the name is refused", async (t) => {
  const url = await freshDynamoUrl();
  const { store, hook } = await sweepHookedStore(url);
  const other = await openDynamoStore(url);
  t.teardown(async () => {
    await store.close();
    await other.close();
  });
  const task = taskRecord("half", { partitionCount: PARTITIONS });
  await seed(t, other, task, drafts.slice(0, 8));

  hook.failSweep = true;
  await t.throwsAsync(store.deleteTask("half"));
  t.is(await other.getTask("half"), undefined);
  const refused = await t.throwsAsync(other.putTask(task));
  t.is(refused instanceof PartituraError ? refused.code : undefined, ErrorCode.FailedPrecondition);
  const scheduled = await t.throwsAsync(other.upsertInstances(task, [draft("late", T0)], "safe", T0));
  t.is(scheduled instanceof PartituraError ? scheduled.code : undefined, ErrorCode.NotFound);

  t.true(await other.deleteTask("half"), "the second DeleteTask finishes the first one's sweep");
  t.false(await other.deleteTask("half"), "and then there is nothing left to delete");
  await other.putTask(task);
  t.deepEqual(await instanceNames(other, "half"), [], "the task created again starts empty");
});
