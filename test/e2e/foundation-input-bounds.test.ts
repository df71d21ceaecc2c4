import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { zoneCacheSize } from "../../src/domain/schedule.ts";
import { callError } from "../support/clients.ts";
import { TestWorker } from "../support/execution-worker.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { startTestServer } from "../support/server.ts";

/*
 * Inputs that were accepted and broke later, or whose refusal the client never saw: each is
 * refused with INVALID_ARGUMENT naming the field, in a message short enough for any client.
 */

const cron = (value: string, timezone = "") => ({ kind: { case: "cron" as const, value }, timezone });
const put = (schedule: ReturnType<typeof cron> | object) => ({ task: { name: "job", schedule } });

test("huge zones and crons are refused by length, and the refusal reaches the client", async (t) => {
  await using s = await startTestServer();
  const zone = await callError(s.scheduler.putTask(put(cron("0 * * * *", "Z".repeat(15_000_000)))));
  t.is(zone.code, status.INVALID_ARGUMENT);
  t.is(zone.details, "task.schedule.timezone: must be at most 64 characters");
  // 10 KB used to come back as RESOURCE_EXHAUSTED: the message echoed it into the trailer.
  const longCron = await callError(s.scheduler.putTask(put(cron(`0 * * * * ${"1".repeat(10_000)}`))));
  t.is(longCron.code, status.INVALID_ARGUMENT);
  t.is(longCron.details, "task.schedule.cron: must be at most 256 characters");
  const echoed = await callError(s.scheduler.putTask(put(cron(`${"1,".repeat(120)}1 * * *`))));
  t.is(echoed.code, status.INVALID_ARGUMENT);
  t.regex(echoed.details, /^task\.schedule\.cron: "(1,){50}…" must have 5 fields/);
  const name = "n".repeat(150);
  const missing = await callError(s.scheduler.getTask({ name }));
  t.is(missing.code, status.NOT_FOUND);
  t.is(missing.details, `name: no task named "${"n".repeat(100)}…"`);
});

test("refused zones do not grow the zone cache; known zones still work", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask(put(cron("0 * * * *", "Europe/Ljubljana")));
  const before = zoneCacheSize();
  for (let i = 0; i < 200; i++) {
    const error = await callError(s.scheduler.putTask(put(cron("0 * * * *", `Mars/Crater-${i}`))));
    t.is(error.code, status.INVALID_ARGUMENT);
  }
  t.is(zoneCacheSize(), before);
  t.is((await s.scheduler.getTask({ name: "job" })).task?.schedule?.timezone, "Europe/Ljubljana");
});

test("random (H), misplaced ? and absurd steps are refused naming cron; day ? and aliases are fine", async (t) => {
  await using s = await startTestServer();
  const refusals: [string, RegExp][] = [
    ["H * * * *", /^task\.schedule\.cron: H \(a random value\) is not supported, in the minute field/],
    ["0 H(0-5) * * *", /^task\.schedule\.cron: H .* in the hour field/],
    [
      "? ? ? ? ?",
      /^task\.schedule\.cron: \? is only for the day-of-month and day-of-week fields, not the minute/,
    ],
    [
      "*/100000000000 * * * *",
      /^task\.schedule\.cron: a step in the minute field must be a number from 1 to 59/,
    ],
    ["0 */24 * * *", /^task\.schedule\.cron: a step in the hour field must be a number from 1 to 23/],
    ["0 0 * */0 *", /^task\.schedule\.cron: a step in the month field/],
    ["*/61 * * * * *", /^task\.schedule\.cron: a step in the second field/],
  ];
  for (const [expression, message] of refusals) {
    const error = await callError(s.scheduler.putTask(put(cron(expression))));
    t.is(error.code, status.INVALID_ARGUMENT, expression);
    t.regex(error.details, message, expression);
  }
  await t.throwsAsync(s.scheduler.getTask({ name: "job" }), undefined, "nothing was stored");
  for (const expression of ["0 0 ? * MON", "0 9 * * THU", "*/59 * * * *", "0 0 1 */11 *", "0 0 L * ?"]) {
    await t.notThrowsAsync(s.scheduler.putTask(put(cron(expression))), expression);
  }
});

test("Durations and Timestamps the protobuf spec forbids are refused naming the field", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "dyn", dynamic: true } });
  const cases: [string, object, RegExp][] = [
    [
      "mixed signs",
      put({ kind: { case: "interval", value: { seconds: 1n, nanos: -999_999_999 } } }),
      /^task\.schedule\.interval: seconds and nanos must have the same sign/,
    ],
    [
      "nanos of 1.5 s",
      { task: { name: "dyn", dynamic: true, leaseDuration: { seconds: 1n, nanos: 1_500_000_000 } } },
      /^task\.lease_duration: nanos must be -999,999,999 to 999,999,999/,
    ],
    [
      "seconds past 10,000 years",
      { task: { name: "dyn", dynamic: true, misfireGrace: { seconds: 315_576_000_001n, nanos: 0 } } },
      /^task\.misfire_grace: seconds must be within/,
    ],
    [
      "negative Timestamp nanos",
      put({ kind: { case: "at", value: { seconds: 2_000_000_000n, nanos: -1 } } }),
      /^task\.schedule\.at: nanos must be 0 to 999,999,999/,
    ],
  ];
  for (const [label, request, message] of cases) {
    const error = await callError(s.scheduler.putTask(request));
    t.is(error.code, status.INVALID_ARGUMENT, label);
    t.regex(error.details, message, label);
  }
  const batch = await callError(
    s.scheduler.schedule({
      task: "dyn",
      instances: [{ name: "a", schedule: { kind: { case: "interval", value: { seconds: -1n, nanos: 5 } } } }],
    }),
  );
  t.regex(batch.details, /^instances\[0\]\.schedule\.interval: seconds and nanos must have the same sign/);
  t.is((await s.scheduler.listInstances({ task: "dyn" })).instances.length, 0);
});

async function leased() {
  const clock = new ManualClock();
  const s = await startTestServer({ clock });
  await s.scheduler.putTask({
    task: { name: "job", schedule: { kind: { case: "interval", value: durationFromMs(60_000) } } },
  });
  const w = new TestWorker(s, { task: "job" });
  clock.advance(60_000);
  const [execution] = await w.next();
  if (execution === undefined) throw new Error("no execution");
  return { s, w, execution };
}

test("a lease id respelled with a leading zero is refused; the real one still acks", async (t) => {
  const { s, w, execution } = await leased();
  await using _ = s;
  t.true(execution.leaseId.startsWith("0."));
  const error = await callError(s.execution.ack({ items: [{ leaseId: `0${execution.leaseId}` }] }));
  t.is(error.code, status.INVALID_ARGUMENT);
  t.regex(error.details, /^items\[0\]\.lease_id: is not a lease id issued by Partitura/);
  const { results } = await s.execution.ack({ items: [{ leaseId: execution.leaseId }] });
  t.is(results.length, 1);
  w.close();
});

test("ExtendLeases and Ack refuse Durations with nanos out of range or mixed signs", async (t) => {
  const { s, w, execution } = await leased();
  await using _ = s;
  const extend = await callError(
    s.execution.extendLeases({
      items: [{ leaseId: execution.leaseId, duration: { seconds: 1n, nanos: 1_500_000_000 } }],
    }),
  );
  t.is(extend.code, status.INVALID_ARGUMENT);
  t.regex(extend.details, /^items\[0\]\.duration: nanos must be/);
  const ack = await callError(
    s.execution.ack({
      items: [{ leaseId: execution.leaseId, outcome: 2, retryAfter: { seconds: 1n, nanos: -999_999_999 } }],
    }),
  );
  t.is(ack.code, status.INVALID_ARGUMENT);
  t.regex(ack.details, /^items\[0\]\.retry_after: seconds and nanos must have the same sign/);
  w.close();
});
