import test from "ava";
import {
  type ManualSummary,
  manualSummaryNotice,
  readManualSummary,
  readWindow,
  withManualSummary,
} from "../src/console/manual-change.ts";
import { manualRow } from "../src/console/page-instance-manual.ts";
import { summaryNotice } from "../src/console/pause-change.ts";
import { ErrorCode, hasCode } from "../src/domain/errors.ts";
import { type InstanceRecord, scheduledNext } from "../src/domain/model.ts";

/*
 * The console's pure parts of trigger and backfill at fixed inputs: the form's UTC range, the
 * summary through the redirect and its words, and the pending run's fact row.
 */

const counts = (over: Partial<ManualSummary["counts"]>): ManualSummary["counts"] => ({
  accepted: 0,
  queued: 0,
  duplicate: 0,
  busy: 0,
  not_active: 0,
  not_found: 0,
  no_slots: 0,
  ...over,
});

test("backfill range: datetime-local values are read as UTC; empty is left to the service; bad is refused naming the field", (t) => {
  const window = readWindow(new URLSearchParams({ start: "2026-06-01T09:00", end: "2026-06-01T11:00:30" }));
  t.deepEqual(window, {
    startMs: Date.parse("2026-06-01T09:00:00Z"),
    endMs: Date.parse("2026-06-01T11:00:30Z"),
  });
  t.true(Number.isNaN(readWindow(new URLSearchParams({ end: "2026-06-01T11:00" })).startMs));
  const bad = t.throws(() => readWindow(new URLSearchParams({ start: "2026-06-01 09:00Z", end: "" })));
  t.true(hasCode(bad, ErrorCode.InvalidArgument));
  t.regex(bad?.message ?? "", /^start: must be a UTC date and time/);
  t.throws(() => readWindow(new URLSearchParams({ start: "2026-13-01T09:00" })), { message: /^start:/ });
});

test("manual summary: numbers only through the redirect, worded by outcome", (t) => {
  const summary: ManualSummary = {
    kind: "trigger",
    counts: counts({ accepted: 2, queued: 1, busy: 1 }),
    slots: 3,
  };
  const back = withManualSummary("/tasks/a%20b/instances?state=active&done=pause.1.0.0", summary);
  t.is(back, "/tasks/a%20b/instances?state=active&done=trigger.2.1.0.1.0.0.0.3");
  const done = new URL(back, "http://x").searchParams.get("done");
  t.deepEqual(readManualSummary(done), summary);
  t.is(
    manualSummaryNotice(done)
      .toString()
      .replace(/<[^>]+>/g, ""),
    "Triggered 3 instance(s) (1 after the run in flight); 1 already had a run pending.",
  );
  t.is(summaryNotice(done), "", "not a pause summary");
  const backfill = manualSummaryNotice("backfill.1.0.1.0.0.0.1.12")
    .toString()
    .replace(/<[^>]+>/g, "");
  t.is(
    backfill,
    "Backfilling 12 slot(s) of 1 instance(s); 1 already asked for by this same form (duplicate: nothing runs twice); 1 had no slot in the range.",
  );
  t.is(manualSummaryNotice("trigger.1.2"), "");
  t.is(manualSummaryNotice("trigger.<b>.0.0.0.0.0.0.0"), "");
  t.is(manualSummaryNotice(null), "");
});

test("pending manual run: an armed backfill shows its slot and where the schedule goes on; done shows nothing", (t) => {
  const base: InstanceRecord = {
    task: "report",
    name: "nightly",
    partition: 0,
    partitionKey: "",
    schedule: { kind: "cron", cron: "0 * * * *", timezone: "UTC" },
    args: new Uint8Array(),
    nextRunAt: Date.parse("2026-06-01T10:00:00Z"),
    lockedUntil: 0,
    version: 3,
    incarnation: 1,
    attempt: 0,
    createdAt: 0,
    partitionCount: 2,
    leaseOwner: "",
  };
  const manual = {
    id: "r-1",
    kind: "backfill" as const,
    state: "armed" as const,
    first: Date.parse("2026-06-01T10:00:00Z"),
    end: Date.parse("2026-06-01T11:00:00Z"),
    resume: Date.parse("2026-06-01T13:00:00Z"),
  };
  const armed = { ...base, manual };
  t.is(scheduledNext(armed), manual.resume);
  t.is(scheduledNext(base), base.nextRunAt);
  t.is(
    manualRow(armed, Date.parse("2026-06-01T12:00:00Z"))
      .toString()
      .replace(/<[^>]+>/g, ""),
    "manual runbackfill backfill of the slots 2026-06-01 10:00:00Z to 2026-06-01 11:00:00Z: due slot 2026-06-01 10:00:00Z; then the schedule goes on at 2026-06-01 13:00:00Z (request id r-1)",
  );
  t.is(manualRow({ ...base, manual: { ...manual, state: "done" } }, 0), "");
  t.is(manualRow(base, 0), "");
});
