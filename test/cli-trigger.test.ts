import test from "ava";
import { ExecutionReason } from "../gen/ts/partitura/v1/instance_pb.ts";
import { msOf } from "../src/cli/timestamps.ts";
import { cli, golden } from "./support/cli.ts";
import { LeaseStatus, slotOf, TestWorker } from "./support/execution-worker.ts";
import { startTestServer, TestClock, type TestServer } from "./support/server.ts";

/*
 * `partitura trigger` and `partitura backfill` as a user runs them, against a real server (the
 * test store, SQLite by default) on a manual clock that never reaches the next slot of the
 * hourly instances, so every delivery the worker sees is one the command asked for.
 */

const NOW = Date.parse("2026-06-01T12:30:00.000Z");
/** The hourly instances' next slot, as proto JSON prints it. */
const NEXT_SLOT = "2026-06-01T13:00:00Z";
const HOUR = 3_600_000;

/** Task "report" with an hourly (cron) instance of each name, and a worker of it. */
async function hourly(s: TestServer, ...names: string[]): Promise<TestWorker> {
  await s.scheduler.putTask({ task: { name: "report", dynamic: true } });
  await s.scheduler.schedule({
    task: "report",
    instances: names.map((name) => ({
      name,
      schedule: { kind: { case: "cron" as const, value: "0 * * * *" }, timezone: "UTC" },
    })),
  });
  return new TestWorker(s, { task: "report" });
}

/** The instance as `partitura get -o json` prints it. */
async function got(address: string, name: string): Promise<{ nextRunAt: string; manualRun?: string }> {
  const result = await cli(["get", "report", name, "-o", "json"], { address });
  return (golden(result.stdout) as [{ nextRunAt: string; manualRun?: string }])[0];
}

test("trigger runs an instance now with reason TRIGGERED, its next slot unchanged; the same request id runs nothing again", async (t) => {
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const worker = await hourly(s, "daily");
  t.teardown(() => worker.close());
  const address = s.address;

  const first = await cli(["trigger", "report", "daily", "nobody", "-o", "json"], { address });
  t.is(first.code, 5, "a name not found makes the exit code NOT_FOUND");
  const rows = golden(first.stdout) as { name: string; outcome: string; requestId: string }[];
  t.deepEqual(
    rows.map(({ name, outcome }) => ({ name, outcome })),
    [
      { name: "daily", outcome: "accepted" },
      { name: "nobody", outcome: "not_found" },
    ],
  );
  const requestId = rows[0]?.requestId ?? "";
  t.regex(requestId, /^[0-9a-f-]{36}$/, "the CLI (the SDK) made a request id");

  const [run] = await worker.next(1);
  if (run === undefined) return t.fail("no delivery");
  t.is(run.reason, ExecutionReason.TRIGGERED);
  t.is(run.instance, "daily");
  const running = await cli(["get", "report", "daily"], { address });
  t.regex(running.stdout, /^NAME +PARTITION +STATE +NEXT +LOCKED +MANUAL_RUN\n/);
  t.regex(running.stdout, /\ndaily +\d+ +active +.*triggered\n$/, "get shows the trigger running");
  t.deepEqual(await worker.ack([run]), [LeaseStatus.OK]);

  const after = await got(address, "daily");
  t.is(after.manualRun, undefined, "no manual run once it is settled");
  t.is(after.nextRunAt, NEXT_SLOT, "the next slot did not move");

  const again = await cli(["trigger", "report", "daily", "--request-id", requestId], { address });
  t.is(again.code, 0, again.stderr);
  t.is(again.stdout, `NAME   OUTCOME\ndaily  duplicate\nrequest id ${requestId}\n`);
  t.deepEqual(await worker.idle(), [], "a repeated request id runs nothing");

  const history = await cli(["history", "report", "daily"], { address });
  t.regex(history.stdout, /\n2026-06-01T12:30:00.000Z +20\S+ +\d+ +1 +triggered +success\n$/);
  t.is(history.stdout.trim().split("\n").length, 2, "one run in the history");
});

test("backfill runs the range's slots oldest first, one at a time, with reason BACKFILL", async (t) => {
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const worker = await hourly(s, "sales");
  t.teardown(() => worker.close());
  const address = s.address;
  const from = new Date(NOW - 3 * HOUR).toISOString();
  const to = new Date(NOW).toISOString();

  const started = await cli(["backfill", "report", "sales", "--from", from, "--to", to], { address });
  t.is(started.code, 0, started.stderr);
  t.regex(started.stdout, /^NAME +OUTCOME +SLOTS\nsales +accepted +3\nrequest id \S+\n$/);

  const busy = await cli(["trigger", "report", "sales", "-o", "jsonl"], { address });
  t.like(golden(busy.stdout), { name: "sales", outcome: "busy" }, "a trigger waits for the backfill");
  t.is((await got(address, "sales")).manualRun, "EXECUTION_REASON_BACKFILL");

  const slots: string[] = [];
  for (let n = 0; n < 3; n++) {
    const [run] = await worker.next(1);
    if (run === undefined) return t.fail("no delivery");
    t.is(run.reason, ExecutionReason.BACKFILL);
    slots.push(new Date(slotOf(run)).toISOString());
    t.deepEqual(await worker.idle(200), [], "the next slot waits until this one is settled");
    await worker.ack([run]);
  }
  t.deepEqual(slots, ["2026-06-01T10:00:00.000Z", "2026-06-01T11:00:00.000Z", "2026-06-01T12:00:00.000Z"]);
  t.deepEqual(await worker.idle(), [], "three slots, no more");
  const after = await got(address, "sales");
  t.is(after.manualRun, undefined);
  t.is(after.nextRunAt, NEXT_SLOT, "then it goes on at its next slot");

  const history = await cli(["history", "report", "sales", "-o", "json"], { address });
  const runs = golden(history.stdout) as { reason: string; scheduledAt: string }[];
  t.deepEqual(
    runs.map((r) => [r.reason, new Date(r.scheduledAt).toISOString()]),
    [...slots].reverse().map((slot) => ["EXECUTION_REASON_BACKFILL", slot]),
    "history, newest first",
  );
});

test("backfill refuses a range of more than 1000 slots naming end, and says what it did per name", async (t) => {
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const worker = await hourly(s, "sales");
  t.teardown(() => worker.close());
  const address = s.address;

  const huge = await cli(
    ["backfill", "report", "sales", "--from", "2026-01-01T00:00:00Z", "--to", "2026-06-01T12:00:00Z"],
    { address },
  );
  t.is(huge.code, 3, huge.stderr);
  t.regex(huge.stderr, /^partitura: INVALID_ARGUMENT: end: .*more than 1000 slots/);
  const future = await cli(
    ["backfill", "report", "sales", "--from", "2026-06-01T11:00:00Z", "--to", "2026-06-01T14:00:00Z"],
    { address },
  );
  t.is(future.code, 3);
  t.regex(future.stderr, /^partitura: INVALID_ARGUMENT: end: must not be in the future/);
  t.deepEqual(await worker.idle(), [], "a refused backfill runs nothing");

  const none = await cli(
    [
      ...["backfill", "report", "sales", "nobody"],
      ...["--from", "2026-06-01T12:05:00Z", "--to", "2026-06-01T12:30:00Z", "-o", "json"],
    ],
    { address },
  );
  t.is(none.code, 5, "nobody is not found");
  t.deepEqual(
    (golden(none.stdout) as { name: string; outcome: string; slots: number }[]).map(
      ({ name, outcome, slots }) => ({ name, outcome, slots }),
    ),
    [
      { name: "sales", outcome: "no_slots", slots: 0 },
      { name: "nobody", outcome: "not_found", slots: 0 },
    ],
  );
  const { instance } = await s.scheduler.getInstance({ task: "report", name: "sales" });
  t.is(msOf(instance?.nextRunAt), Date.parse(NEXT_SLOT));
});

test("trigger and backfill refuse bad use in one line", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  const cases: [string[], RegExp, number][] = [
    [["trigger", "report"], /trigger: NAME is required/, 2],
    [["backfill"], /backfill: TASK is required/, 2],
    [["backfill", "report", "a", "--to", "2026-06-01T12:00:00Z"], /--from: required by backfill/, 2],
    [
      ["backfill", "report", "a", "--from", "yesterday", "--to", "now"],
      /--from: "yesterday" is not an ISO-8601/,
      2,
    ],
    [["trigger", "report", "a", "--from", "2026-06-01T12:00:00Z"], /--from: is a backfill flag/, 2],
    [["trigger", "report", "a", "--key", "k", "--partition-key", "k"], /--key, --partition-key: give one/, 2],
    [["trigger", "nosuch", "a"], /^partitura: NOT_FOUND: task: /, 5],
  ];
  for (const [args, message, code] of cases) {
    const result = await cli(args, { address });
    t.is(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    t.regex(result.stderr, message);
    t.is(result.stderr.trim().split("\n").length, 1, "one line");
  }
});
