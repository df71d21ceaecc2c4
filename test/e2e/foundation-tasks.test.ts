import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { pino } from "pino";
import { ExecutionMode, FailureMode, MisfirePolicy } from "../../gen/ts/partitura/v1/task_pb.ts";
import { openStore } from "../../src/store/open.ts";
import { callError } from "../support/clients.ts";
import { startTestServer, TestClock } from "../support/server.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");

test("PutTask applies every default and GetTask reads it back", async (t) => {
  await using s = await startTestServer();
  const put = await s.scheduler.putTask({
    task: { name: "emails", dynamic: true, schedule: { kind: { case: "cron", value: "*/5 * * * *" } } },
  });
  const task = put.task;
  t.truthy(task);
  t.is(task?.partitionCount, 1);
  t.is(task?.executionMode, ExecutionMode.AT_LEAST_ONCE);
  t.is(task?.failureMode, FailureMode.NONE);
  t.is(task?.misfirePolicy, MisfirePolicy.CATCH_UP);
  t.is(task?.leaseDuration && durationMs(task.leaseDuration), 60_000);
  t.is(task?.misfireGrace && durationMs(task.misfireGrace), 1_000);
  t.is(task?.enabled, true);
  t.is(task?.schedule?.timezone, "UTC");
  const got = await s.scheduler.getTask({ name: "emails" });
  t.deepEqual(got.task, task);
});

test("PutTask keeps a task's enabled flag when the field is unset, and changes it when set", async (t) => {
  await using s = await startTestServer();
  const base = {
    name: "reports",
    dynamic: true,
    schedule: { kind: { case: "cron" as const, value: "0 * * * *" } },
  };
  await s.scheduler.putTask({ task: { ...base, enabled: false } });
  await s.scheduler.putTask({ task: { ...base, partitionCount: 4 } });
  const got = await s.scheduler.getTask({ name: "reports" });
  t.is(got.task?.enabled, false);
  t.is(got.task?.partitionCount, 4);
  await s.scheduler.putTask({ task: { ...base, enabled: true } });
  t.is((await s.scheduler.getTask({ name: "reports" })).task?.enabled, true);
});

test("default args round-trip as a Struct", async (t) => {
  await using s = await startTestServer();
  const defaultArgs = {
    to: "ops@example.com",
    retries: 3,
    tags: ["a", "b"],
    nested: { on: true, none: null },
  };
  await s.scheduler.putTask({ task: { name: "with-args", dynamic: true, defaultArgs } });
  const got = await s.scheduler.getTask({ name: "with-args" });
  t.deepEqual(got.task?.defaultArgs, defaultArgs);
});

test("a static task has one instance named after it in partition 0, and a repeated PutTask keeps its due time", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  const task = { name: "nightly", schedule: { kind: { case: "cron" as const, value: "0 3 * * *" } } };
  await s.scheduler.putTask({ task });
  const first = (await s.scheduler.getInstance({ task: "nightly", name: "nightly" })).instance;
  t.is(first?.partition, 0);
  t.is(first?.nextRunAt && timestampMs(first.nextRunAt), Date.parse("2030-01-01T03:00:00Z"));

  // A day later the same PutTask (a redeploy) must not push the pending 03:00 slot back.
  clock.advance(86_400_000);
  await s.scheduler.putTask({ task });
  const again = (await s.scheduler.getInstance({ task: "nightly", name: "nightly" })).instance;
  t.is(again?.nextRunAt && timestampMs(again.nextRunAt), Date.parse("2030-01-01T03:00:00Z"));
  t.is(again?.createdAt && timestampMs(again.createdAt), first?.createdAt && timestampMs(first.createdAt));

  const listed = await s.scheduler.listInstances({ task: "nightly" });
  t.deepEqual(
    listed.instances.map((i) => i.name),
    ["nightly"],
  );
});

test("a static task's changed schedule takes effect at once", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({
    task: { name: "sync", schedule: { kind: { case: "cron", value: "0 0 1 * *" } } },
  });
  await s.scheduler.putTask({
    task: { name: "sync", schedule: { kind: { case: "cron", value: "15 * * * *" } } },
  });
  const got = (await s.scheduler.getInstance({ task: "sync", name: "sync" })).instance;
  t.is(got?.nextRunAt && timestampMs(got.nextRunAt), Date.parse("2030-01-01T00:15:00Z"));
  t.is(got?.schedule?.kind.value, "15 * * * *");
});

test("ListTasks pages in name order with an opaque token", async (t) => {
  await using s = await startTestServer();
  const names = Array.from({ length: 7 }, (_, i) => `task-${i}`);
  for (const name of [...names].reverse()) await s.scheduler.putTask({ task: { name, dynamic: true } });
  const seen: string[] = [];
  let pageToken = "";
  let pages = 0;
  do {
    const page = await s.scheduler.listTasks({ pageSize: 3, pageToken });
    t.true(page.tasks.length <= 3);
    seen.push(...page.tasks.map((task) => task.name));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== "");
  t.deepEqual(seen, names);
  t.is(pages, 3);
  const bad = await callError(s.scheduler.listTasks({ pageToken: "not-a-token" }));
  t.is(bad.code, status.INVALID_ARGUMENT);
  t.regex(bad.details, /page_token/);
});

test("DeleteTask removes the task and its instances; NOT_FOUND afterwards", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "gone", dynamic: true, partitionCount: 3 } });
  await s.scheduler.schedule({
    task: "gone",
    instances: [{ name: "a", schedule: { kind: { case: "cron", value: "* * * * *" } } }],
  });
  await s.scheduler.deleteTask({ name: "gone" });
  const get = await callError(s.scheduler.getTask({ name: "gone" }));
  t.is(get.code, status.NOT_FOUND);
  t.regex(get.details, /name: no task named "gone"/);
  const again = await callError(s.scheduler.deleteTask({ name: "gone" }));
  t.is(again.code, status.NOT_FOUND);
  // Recreating it starts empty: the old instances went with the task.
  await s.scheduler.putTask({ task: { name: "gone", dynamic: true, partitionCount: 3 } });
  t.deepEqual((await s.scheduler.listInstances({ task: "gone" })).instances, []);
});

test("a static one-off that has run is not run again by a repeated PutTask", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  const task = {
    name: "migrate",
    schedule: { kind: { case: "at" as const, value: { seconds: BigInt(T0 / 1000), nanos: 0 } } },
  };
  await s.scheduler.putTask({ task });
  // It runs: a worker claims it and commits with no next slot, which deletes the instance.
  const store = await openStore(s.storeUrl, pino({ level: "silent" }));
  const [claimed] = (
    await store.claim({
      task: "migrate",
      partition: 0,
      now: T0,
      limit: 1,
      leaseMs: 60_000,
      owner: "test-worker",
    })
  ).claimed;
  t.truthy(claimed);
  if (claimed) {
    const lease = {
      task: "migrate",
      partition: 0,
      name: "migrate",
      version: claimed.version,
      incarnation: claimed.incarnation,
    };
    await store.commit([{ lease, nextRunAt: null }], T0);
  }
  await store.close();
  await s.scheduler.putTask({ task });
  t.deepEqual((await s.scheduler.listInstances({ task: "migrate" })).instances, []);
});
