import type { MessageInitShape } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import type { PutTaskRequestSchema, ScheduleMode } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { ExecutionMode, FailureMode } from "../../gen/ts/partitura/v1/task_pb.ts";
import { callError } from "../support/clients.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/*
 * Every refusal names the field and the rule, and changes nothing: each case reads back the
 * whole stored state (every task and every instance) before and after the refused call.
 */

const cron = (value: string, timezone = "") => ({ kind: { case: "cron" as const, value }, timezone });
const hugeArgs = { blob: "x".repeat(70_000) };

async function snapshot(s: TestServer): Promise<unknown> {
  const tasks = (await s.scheduler.listTasks({ pageSize: 1000 })).tasks;
  const instances = [];
  for (const task of tasks) {
    instances.push(...(await s.scheduler.listInstances({ task: task.name, pageSize: 1000 })).instances);
  }
  return { tasks, instances };
}

async function seeded(): Promise<TestServer> {
  const s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "static", schedule: cron("0 * * * *") } });
  await s.scheduler.putTask({
    task: { name: "dyn", dynamic: true, partitionCount: 4, schedule: cron("*/10 * * * *") },
  });
  await s.scheduler.putTask({ task: { name: "empty", dynamic: true, partitionCount: 2 } });
  await s.scheduler.schedule({ task: "dyn", instances: [{ name: "one" }, { name: "two", args: { k: 1 } }] });
  return s;
}

async function refuses(
  t: ExecutionContext,
  s: TestServer,
  label: string,
  call: () => Promise<unknown>,
  code: status,
  message: RegExp,
): Promise<void> {
  const before = await snapshot(s);
  const error = await callError(call());
  t.is(error.code, code, `${label}: ${error.details}`);
  t.regex(error.details, message, label);
  t.deepEqual(await snapshot(s), before, `${label} changed stored data`);
}

type TaskInit = NonNullable<MessageInitShape<typeof PutTaskRequestSchema>["task"]>;

test("PutTask refusals name the field and change nothing", async (t) => {
  await using s = await seeded();
  const put = (task: TaskInit | undefined) => () => s.scheduler.putTask(task === undefined ? {} : { task });
  const dyn = { name: "dyn", dynamic: true, partitionCount: 4 };
  const bad = status.INVALID_ARGUMENT;
  const cases: [string, () => Promise<unknown>, status, RegExp][] = [
    ["missing task", put(undefined), bad, /^task: is required/],
    ["empty name", put({ name: "", dynamic: true }), bad, /^task\.name: must not be empty/],
    [
      "long name",
      put({ name: "n".repeat(201), dynamic: true }),
      bad,
      /^task\.name: must be at most 200 bytes/,
    ],
    [
      "multibyte name over 200 bytes",
      put({ name: "é".repeat(101), dynamic: true }),
      bad,
      /^task\.name: .*200 bytes/,
    ],
    ["control character", put({ name: "a\nb", dynamic: true }), bad, /^task\.name: must not contain control/],
    ["static without schedule", put({ name: "new" }), bad, /^task\.schedule: is required for a static task/],
    [
      "schedule with no kind",
      put({ name: "new", schedule: { timezone: "UTC" } }),
      bad,
      /^task\.schedule: must set one of/,
    ],
    [
      "bad cron",
      put({ name: "static", schedule: cron("61 * * * *") }),
      bad,
      /^task\.schedule\.cron: "61 \* \* \* \*"/,
    ],
    [
      "seven cron fields",
      put({ name: "static", schedule: cron("0 0 0 * * * *") }),
      bad,
      /^task\.schedule\.cron: .*5 fields/,
    ],
    [
      "unknown zone",
      put({ name: "static", schedule: cron("0 * * * *", "Mars/Olympus") }),
      bad,
      /^task\.schedule\.timezone: "Mars\/Olympus" is not an IANA time zone/,
    ],
    [
      "interval under 1 ms",
      put({
        name: "static",
        schedule: { kind: { case: "interval", value: { seconds: 0n, nanos: 500_000 } } },
      }),
      bad,
      /^task\.schedule\.interval: must be at least 1 ms/,
    ],
    [
      "one-off in year 9999 (past what stores can hold)",
      put({
        name: "static",
        schedule: { kind: { case: "at", value: { seconds: 253_402_214_400n, nanos: 0 } } },
      }),
      bad,
      /^task\.schedule\.at: must be between 1970-01-01T00:00:00Z and 6429/,
    ],
    [
      "too many partitions",
      put({ ...dyn, name: "new", partitionCount: 65_537 }),
      bad,
      /^task\.partition_count: must be at most 65536/,
    ],
    [
      "partitioned static task",
      put({ name: "static", schedule: cron("0 * * * *"), partitionCount: 4 }),
      bad,
      /^task\.partition_count: .*static/,
    ],
    [
      "default args over 64 KiB",
      put({ ...dyn, defaultArgs: hugeArgs }),
      bad,
      /^task\.default_args: must be at most 65536 bytes/,
    ],
    [
      "at-most-once with UNLOCK",
      put({ ...dyn, executionMode: ExecutionMode.AT_MOST_ONCE, failureMode: FailureMode.UNLOCK }),
      bad,
      /^task\.failure_mode: must be FAILURE_MODE_NONE/,
    ],
    [
      "zero lease",
      put({ ...dyn, leaseDuration: { seconds: 0n, nanos: 0 } }),
      bad,
      /^task\.lease_duration: must be positive/,
    ],
    [
      "negative grace",
      put({ ...dyn, misfireGrace: { seconds: -1n, nanos: 0 } }),
      bad,
      /^task\.misfire_grace: must be positive/,
    ],
    [
      "unknown enum value",
      put({ ...dyn, executionMode: 9 as ExecutionMode }),
      bad,
      /^task\.execution_mode: 9 is not a known value/,
    ],
    [
      "partition_count change with instances",
      put({ ...dyn, partitionCount: 8 }),
      status.FAILED_PRECONDITION,
      /^task\.partition_count: task "dyn" has instances/,
    ],
    [
      "static to dynamic with its instance",
      put({ name: "static", dynamic: true }),
      status.FAILED_PRECONDITION,
      /^task\.dynamic: task "static" has instances/,
    ],
    [
      "dynamic to static with instances",
      put({ name: "dyn", schedule: cron("0 * * * *") }),
      status.FAILED_PRECONDITION,
      /^task\.dynamic: task "dyn" has instances/,
    ],
  ];
  for (const [label, call, code, message] of cases) await refuses(t, s, label, call, code, message);

  // Without instances the partition count may change.
  await s.scheduler.putTask({ task: { name: "empty", dynamic: true, partitionCount: 16 } });
  t.is((await s.scheduler.getTask({ name: "empty" })).task?.partitionCount, 16);
});

test("Schedule, Unschedule and read refusals name the field and change nothing", async (t) => {
  await using s = await seeded();
  const bad = status.INVALID_ARGUMENT;
  const schedule = s.scheduler.schedule;
  const cases: [string, () => Promise<unknown>, status, RegExp][] = [
    [
      "unknown task",
      () => schedule({ task: "nope", instances: [{ name: "a" }] }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
    [
      "empty task name",
      () => schedule({ task: "", instances: [{ name: "a" }] }),
      bad,
      /^task: must not be empty/,
    ],
    [
      "static task",
      () => schedule({ task: "static", instances: [{ name: "a" }] }),
      status.FAILED_PRECONDITION,
      /^task: "static" is static/,
    ],
    [
      "one bad name refuses the whole batch",
      () => schedule({ task: "dyn", instances: [{ name: "fine" }, { name: "" }] }),
      bad,
      /^instances\[1\]\.name: must not be empty/,
    ],
    [
      "bad cron in the batch",
      () => schedule({ task: "dyn", instances: [{ name: "fine" }, { name: "b", schedule: cron("* * *") }] }),
      bad,
      /^instances\[1\]\.schedule\.cron: .*5 fields/,
    ],
    [
      "unknown zone in the batch",
      () =>
        schedule({ task: "dyn", instances: [{ name: "b", schedule: cron("* * * * *", "Nowhere/City") }] }),
      bad,
      /^instances\[0\]\.schedule\.timezone: "Nowhere\/City" is not an IANA time zone/,
    ],
    [
      "no schedule and no default",
      () => schedule({ task: "empty", instances: [{ name: "b" }] }),
      bad,
      /^instances\[0\]\.schedule: is required: task "empty" has no default schedule/,
    ],
    [
      "args over 64 KiB",
      () => schedule({ task: "dyn", instances: [{ name: "b", args: hugeArgs }] }),
      bad,
      /^instances\[0\]\.args: must be at most 65536 bytes/,
    ],
    [
      "duplicate names",
      () => schedule({ task: "dyn", instances: [{ name: "one" }, { name: "one" }] }),
      bad,
      /^instances\[1\]\.name: duplicates instances\[0\]/,
    ],
    [
      "over 10,000 instances",
      () =>
        schedule({ task: "dyn", instances: Array.from({ length: 10_001 }, (_, i) => ({ name: `i${i}` })) }),
      bad,
      /^instances: must be at most 10000 a call/,
    ],
    [
      "unknown mode",
      () => schedule({ task: "dyn", instances: [{ name: "one" }], mode: 7 as ScheduleMode }),
      bad,
      /^mode: 7 is not a known ScheduleMode/,
    ],
    [
      "unschedule of an unknown task",
      () => s.scheduler.unschedule({ task: "nope", names: ["one"] }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
    [
      "unschedule of a static task",
      () => s.scheduler.unschedule({ task: "static", names: ["static"] }),
      status.FAILED_PRECONDITION,
      /^task: "static" is static/,
    ],
    [
      "unschedule of an empty name",
      () => s.scheduler.unschedule({ task: "dyn", names: ["one", ""] }),
      bad,
      /^names\[1\]: must not be empty/,
    ],
    [
      "unknown instance",
      () => s.scheduler.getInstance({ task: "dyn", name: "three" }),
      status.NOT_FOUND,
      /^name: task "dyn" has no instance "three"/,
    ],
    [
      "instance of an unknown task",
      () => s.scheduler.getInstance({ task: "nope", name: "one" }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
    [
      "unknown task to GetTask",
      () => s.scheduler.getTask({ name: "nope" }),
      status.NOT_FOUND,
      /^name: no task named "nope"/,
    ],
    ["empty name to GetTask", () => s.scheduler.getTask({ name: "" }), bad, /^name: must not be empty/],
    [
      "partition out of range",
      () => s.scheduler.listInstances({ task: "dyn", partition: 4 }),
      bad,
      /^partition: must be below the task's partition_count 4/,
    ],
    [
      "list of an unknown task",
      () => s.scheduler.listInstances({ task: "nope" }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
    [
      "partition map of an unknown task",
      () => s.scheduler.getPartitionMap({ task: "nope" }),
      status.NOT_FOUND,
      /^task: no task named "nope"/,
    ],
    [
      "delete of an unknown task",
      () => s.scheduler.deleteTask({ name: "nope" }),
      status.NOT_FOUND,
      /^name: no task named "nope"/,
    ],
  ];
  for (const [label, call, code, message] of cases) await refuses(t, s, label, call, code, message);
});
