import { timestampMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { pino } from "pino";
import type { Instance } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { ScheduleMode, ScheduleOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { openStore } from "../../src/store/open.ts";
import { callError } from "../support/clients.ts";
import { startTestServer, TestClock } from "../support/server.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const cron = (value: string) => ({ kind: { case: "cron" as const, value } });
const at = (ms: number) => ({
  kind: { case: "at" as const, value: { seconds: BigInt(ms / 1000), nanos: 0 } },
});
const due = (instance: Instance | undefined) => instance?.nextRunAt && timestampMs(instance.nextRunAt);

test("the SHA-1 selector places instances where Pyncette would (32 partitions)", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "p32", dynamic: true, partitionCount: 32, schedule: cron("* * * * *") },
  });
  const res = await s.scheduler.schedule({
    task: "p32",
    instances: [{ name: "a" }, { name: "hello" }, { name: "user_1" }],
  });
  t.deepEqual(
    res.instances.map((i) => [i.name, i.partition]),
    [
      ["a", 16],
      ["hello", 21],
      ["user_1", 22],
    ],
  );
  const map = await s.scheduler.getPartitionMap({ task: "p32" });
  t.is(map.replicas.length, 1);
  t.is(map.replicas[0]?.address, s.address);
  t.deepEqual(
    map.replicas[0]?.partitions,
    Array.from({ length: 32 }, (_, i) => i),
  );
  t.is(map.version, 1n);
});

test("partition_key is hashed instead of the name, and finds the instance again", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "keyed", dynamic: true, partitionCount: 32, schedule: cron("0 * * * *") },
  });
  const res = await s.scheduler.schedule({
    task: "keyed",
    instances: [{ name: "order-1", partitionKey: "hello" }],
  });
  t.is(res.instances[0]?.partition, 21);
  t.is(res.instances[0]?.partitionKey, "hello");
  const got = await s.scheduler.getInstance({ task: "keyed", name: "order-1", partitionKey: "hello" });
  t.is(got.instance?.partition, 21);
  const removed = await s.scheduler.unschedule({ task: "keyed", names: ["order-1"], partitionKey: "hello" });
  t.is(removed.removed, 1);
  t.is(
    (await callError(s.scheduler.getInstance({ task: "keyed", name: "order-1", partitionKey: "hello" })))
      .code,
    status.NOT_FOUND,
  );
});

test("Schedule creates, GetInstance reads, Unschedule removes", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true, partitionCount: 4 } });
  const res = await s.scheduler.schedule({
    task: "mail",
    instances: [
      {
        name: "weekly",
        schedule: { ...cron("0 9 * * 1"), timezone: "Europe/Berlin" },
        args: { to: "x@example.com" },
      },
      { name: "every-90s", schedule: { kind: { case: "interval", value: { seconds: 90n, nanos: 0 } } } },
      { name: "once", schedule: at(T0 + 3_600_000) },
    ],
  });
  t.deepEqual(res.outcomes, [ScheduleOutcome.CREATED, ScheduleOutcome.CREATED, ScheduleOutcome.CREATED]);
  // 2030-01-07 is a Monday; 09:00 in Berlin (CET) is 08:00Z.
  t.is(due(res.instances[0]), Date.parse("2030-01-07T08:00:00Z"));
  t.is(due(res.instances[1]), T0 + 90_000);
  t.is(due(res.instances[2]), T0 + 3_600_000);
  const weekly = (await s.scheduler.getInstance({ task: "mail", name: "weekly" })).instance;
  t.deepEqual(weekly?.args, { to: "x@example.com" });
  t.is(weekly?.schedule?.timezone, "Europe/Berlin");
  t.is(weekly?.attempt, 0);
  t.is(weekly?.lockedUntil, undefined);
  t.is(weekly?.createdAt && timestampMs(weekly.createdAt), T0);

  const removed = await s.scheduler.unschedule({ task: "mail", names: ["weekly", "once", "never-existed"] });
  t.is(removed.removed, 2);
  const missing = await callError(s.scheduler.getInstance({ task: "mail", name: "weekly" }));
  t.is(missing.code, status.NOT_FOUND);
  t.regex(missing.details, /name: task "mail" has no instance "weekly"/);
  t.deepEqual(
    (await s.scheduler.listInstances({ task: "mail" })).instances.map((i) => i.name),
    ["every-90s"],
  );
});

test("an instance without a schedule gets the task's default schedule", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "dflt", dynamic: true, schedule: cron("30 * * * *") } });
  const res = await s.scheduler.schedule({ task: "dflt", instances: [{ name: "i" }] });
  t.is(due(res.instances[0]), T0 + 30 * 60_000);
  t.is(res.instances[0]?.schedule?.kind.value, "30 * * * *");
});

test("SAFE keeps the sooner due time; FORCE overwrites it", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "modes", dynamic: true } });
  await s.scheduler.schedule({ task: "modes", instances: [{ name: "i", schedule: cron("0 * * * *") }] });

  const safeLater = await s.scheduler.schedule({
    task: "modes",
    instances: [{ name: "i", schedule: cron("0 3 * * *") }],
    mode: ScheduleMode.SAFE,
  });
  t.is(safeLater.outcomes[0], ScheduleOutcome.UPDATED);
  t.is(due(safeLater.instances[0]), T0 + 3_600_000, "SAFE keeps the sooner stored slot (01:00)");

  const safeSooner = await s.scheduler.schedule({
    task: "modes",
    instances: [{ name: "i", schedule: cron("*/5 * * * *") }],
  });
  t.is(due(safeSooner.instances[0]), T0 + 5 * 60_000, "SAFE takes a sooner drafted slot");

  const force = await s.scheduler.schedule({
    task: "modes",
    instances: [{ name: "i", schedule: cron("0 3 * * *") }],
    mode: ScheduleMode.FORCE,
  });
  t.is(force.outcomes[0], ScheduleOutcome.UPDATED);
  t.is(due(force.instances[0]), T0 + 3 * 3_600_000);
  t.is(due((await s.scheduler.getInstance({ task: "modes", name: "i" })).instance), T0 + 3 * 3_600_000);
});

test("SAFE leaves a locked instance as it was and says so per instance; FORCE unlocks it", async (t) => {
  const clock = new TestClock(T0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "busy", dynamic: true } });
  await s.scheduler.schedule({ task: "busy", instances: [{ name: "running", schedule: at(T0) }] });

  // A worker holds it: claim through a second handle on the same store.
  const store = await openStore(s.storeUrl, pino({ level: "silent" }));
  const claimed = (
    await store.claim({
      task: "busy",
      partition: 0,
      now: T0,
      limit: 10,
      leaseMs: 60_000,
      owner: "test-worker",
    })
  ).claimed;
  await store.close();
  t.is(claimed.length, 1);

  const safe = await s.scheduler.schedule({
    task: "busy",
    instances: [
      { name: "running", schedule: at(T0 + 10_000) },
      { name: "fresh", schedule: at(T0 + 10_000) },
    ],
  });
  t.deepEqual(safe.outcomes, [ScheduleOutcome.LOCKED, ScheduleOutcome.CREATED]);
  t.is(safe.instances[0]?.lockedUntil && timestampMs(safe.instances[0].lockedUntil), T0 + 60_000);
  t.is(due(safe.instances[0]), T0, "the locked instance was left as it was");

  const force = await s.scheduler.schedule({
    task: "busy",
    instances: [{ name: "running", schedule: at(T0 + 10_000) }],
    mode: ScheduleMode.FORCE,
  });
  t.is(force.outcomes[0], ScheduleOutcome.UPDATED);
  t.is(force.instances[0]?.lockedUntil, undefined);
  t.is(due(force.instances[0]), T0 + 10_000);
});

test("ListInstances pages across partitions, and filters one partition", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "many", dynamic: true, partitionCount: 8, schedule: cron("0 0 * * *") },
  });
  const names = Array.from({ length: 25 }, (_, i) => `inst-${String(i).padStart(2, "0")}`);
  const created = await s.scheduler.schedule({ task: "many", instances: names.map((name) => ({ name })) });
  const partitionOf = new Map(created.instances.map((i) => [i.name, i.partition]));

  const seen: Instance[] = [];
  let pageToken = "";
  do {
    const page = await s.scheduler.listInstances({ task: "many", pageSize: 4, pageToken });
    t.true(page.instances.length <= 4);
    seen.push(...page.instances);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  t.deepEqual(seen.map((i) => i.name).sort(), names);
  const order = seen.map((i) => [i.partition, i.name] as const);
  const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
  t.deepEqual(order, sorted, "partition by partition, names in order");

  const p = created.instances[0]?.partition ?? 0;
  const one = await s.scheduler.listInstances({ task: "many", partition: p, pageSize: 1000 });
  t.deepEqual(
    one.instances.map((i) => i.name),
    names.filter((n) => partitionOf.get(n) === p),
  );

  // A token belongs to its request: replaying it against another filter is refused.
  const first = await s.scheduler.listInstances({ task: "many", pageSize: 2 });
  const replay = await callError(
    s.scheduler.listInstances({ task: "many", partition: p, pageToken: first.nextPageToken }),
  );
  t.is(replay.code, status.INVALID_ARGUMENT);
  t.regex(replay.details, /page_token/);
});
