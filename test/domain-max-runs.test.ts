import test from "ava";
import { computeCronNext, cronAdvance } from "../src/domain/cron-next.ts";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { MAX_CRON_STEPS_PER_CALL, MAX_RUNS } from "../src/domain/limits.ts";
import { RunLimits } from "../src/domain/max-runs.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { upcomingSlots } from "../src/domain/preview.ts";
import { checkSchedule, firstSlot, MAX_EPOCH_MS } from "../src/domain/schedule.ts";

/*
 * max_runs at fixed reference instants: it becomes end_at = the N-th slot from the first (or
 * the given end_at when sooner), so exactly N slots are ever made; a cron's N-th slot walked
 * fast equals N chained computeCronNext calls, DST days included; a batch shares one walk;
 * the refusals name the field.
 */

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const minute = 60_000;
const t0 = at("2027-01-10T12:00:00Z");

/** Every slot the stored schedule makes, from a fresh call at `now`, as Schedule stores it. */
function stored(spec: ScheduleSpec, now: number): { spec: ScheduleSpec; slots: (string | null)[] } {
  const first = firstSlot(spec, now);
  const bounded = new RunLimits().bound("schedule", spec, first);
  return { spec: bounded, slots: upcomingSlots(bounded, first, 20).map(iso) };
}

function refusal(t: import("ava").ExecutionContext, run: () => void): string {
  const error = t.throws(run);
  t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument, String(error));
  return error?.message ?? "";
}

test("interval: max_runs 3 is end_at at the third slot, and exactly three slots are made", (t) => {
  const { spec, slots } = stored({ kind: "interval", intervalMs: 10 * minute, maxRuns: 3 }, t0);
  t.deepEqual(spec, { kind: "interval", intervalMs: 10 * minute, endAtMs: t0 + 30 * minute });
  t.deepEqual(slots, [iso(t0 + 10 * minute), iso(t0 + 20 * minute), iso(t0 + 30 * minute)]);
});

test("interval: counted from the first slot, start_at included; a sooner end_at wins", (t) => {
  const start = t0 + 60 * minute;
  const fromStart = stored({ kind: "interval", intervalMs: minute, startAtMs: start, maxRuns: 2 }, t0);
  t.deepEqual(fromStart.slots, [iso(start), iso(start + minute)]);
  const sooner = stored({ kind: "interval", intervalMs: minute, endAtMs: t0 + 90_000, maxRuns: 5 }, t0);
  t.is(sooner.spec.endAtMs, t0 + 90_000, "the given end, sooner than the fifth slot");
  t.is(sooner.spec.maxRuns, undefined);
  t.deepEqual(sooner.slots, [iso(t0 + minute)]);
  const later = stored({ kind: "interval", intervalMs: minute, endAtMs: t0 + 60 * minute, maxRuns: 2 }, t0);
  t.is(later.spec.endAtMs, t0 + 2 * minute, "the second slot, sooner than the given end");
});

test("max_runs 1 runs once; without max_runs the schedule is returned as it was", (t) => {
  t.deepEqual(stored({ kind: "interval", intervalMs: minute, maxRuns: 1 }, t0).slots, [iso(t0 + minute)]);
  const plain: ScheduleSpec = { kind: "cron", cron: "0 * * * *", timezone: "UTC" };
  t.is(new RunLimits().bound("schedule", plain, t0), plain);
});

test("cron: the N-th slot in the cron's zone, counted from the first at or after start_at", (t) => {
  const { spec, slots } = stored(
    { kind: "cron", cron: "0 9 * * 1-5", timezone: "Europe/Berlin", maxRuns: 3 },
    at("2027-01-08T12:00:00Z"), // a Friday afternoon
  );
  t.deepEqual(slots, ["2027-01-11T08:00:00.000Z", "2027-01-12T08:00:00.000Z", "2027-01-13T08:00:00.000Z"]);
  t.is(iso(spec.endAtMs ?? null), "2027-01-13T08:00:00.000Z");
});

test("cron: the N-th slot across a DST change counts real firings (the repeated hour twice)", (t) => {
  // Every 30 minutes through New York's fall back: 01:00-02:00 on 2027-11-07 happens twice.
  const spec: ScheduleSpec = { kind: "cron", cron: "*/30 * * * *", timezone: "America/New_York", maxRuns: 8 };
  const { spec: bounded, slots } = stored(spec, at("2027-11-07T04:10:00Z")); // 00:10 EDT
  t.deepEqual(slots, [
    "2027-11-07T04:30:00.000Z", // 00:30 EDT
    "2027-11-07T05:00:00.000Z", // 01:00 EDT
    "2027-11-07T05:30:00.000Z",
    "2027-11-07T06:00:00.000Z", // 01:00 EST, the hour again
    "2027-11-07T06:30:00.000Z",
    "2027-11-07T07:00:00.000Z", // 02:00 EST
    "2027-11-07T07:30:00.000Z",
    "2027-11-07T08:00:00.000Z",
  ]);
  t.is(iso(bounded.endAtMs ?? null), "2027-11-07T08:00:00.000Z");
});

test("cronAdvance equals chained computeCronNext, step by step, through DST changes in several zones", (t) => {
  const cases: [string, string, string][] = [
    ["*/20 * * * *", "Europe/Berlin", "2027-03-27T00:00:00Z"],
    ["30 2 * * *", "Europe/Berlin", "2027-03-20T00:00:00Z"],
    ["0 * * * *", "America/New_York", "2027-11-06T00:00:00Z"],
    ["15 1 * * *", "America/New_York", "2027-11-01T00:00:00Z"],
    ["*/15 * * * *", "Australia/Lord_Howe", "2027-04-03T00:00:00Z"],
    ["0 */2 * * *", "Antarctica/Troll", "2027-03-27T00:00:00Z"],
    ["0 0 9 * * 1-5", "Asia/Kolkata", "2027-01-01T00:00:00Z"],
  ];
  for (const [cron, zone, from] of cases) {
    let slot = computeCronNext(cron, zone, at(from));
    const start = slot;
    for (let i = 1; i <= 400; i++) {
      const next = computeCronNext(cron, zone, slot);
      t.is(
        cronAdvance(cron, zone, slot, 1, Number.POSITIVE_INFINITY).slot,
        next,
        `${cron} ${zone} step ${i}`,
      );
      slot = next;
    }
    t.deepEqual(
      cronAdvance(cron, zone, start, 400, Number.POSITIVE_INFINITY),
      { slot, steps: 400 },
      `${cron} ${zone}`,
    );
  }
});

test("cronAdvance stops at the first slot past the limit", (t) => {
  const first = at("2027-01-10T12:00:00Z");
  const walk = cronAdvance("0 * * * *", "UTC", first, 1000, first + 2.5 * 3_600_000);
  t.deepEqual(walk, { slot: first + 3 * 3_600_000, steps: 3 });
});

test("a batch of one cron and first slot walks once", (t) => {
  const limits = new RunLimits();
  const spec: ScheduleSpec = { kind: "cron", cron: "*/5 * * * *", timezone: "UTC", maxRuns: 1000 };
  const first = firstSlot(spec, t0);
  let end: number | undefined;
  for (let i = 0; i < 10_000; i++) end = limits.bound(`instances[${i}].schedule`, spec, first).endAtMs;
  t.is(end, first + 999 * 5 * minute);
  t.is(limits.steps, 999, "one walk of 999 steps for 10,000 instances");
});

test("a call whose distinct cron walks pass the budget is refused naming the instance's max_runs", (t) => {
  t.true(MAX_CRON_STEPS_PER_CALL >= 10 * MAX_RUNS, "ten walks of the longest max_runs fit one call");
  // The same rule with a budget of 1,000 steps: three distinct walks of 400 pass it.
  const limits = new RunLimits(1_000);
  const spec: ScheduleSpec = { kind: "cron", cron: "* * * * * *", timezone: "UTC", maxRuns: 401 };
  limits.bound("instances[0].schedule", spec, t0);
  limits.bound("instances[1].schedule", spec, t0 + 1000);
  limits.bound("instances[2].schedule", spec, t0); // the same walk as instances[0]: free
  const message = refusal(t, () => limits.bound("instances[3].schedule", spec, t0 + 2000));
  t.regex(
    message,
    /^instances\[3\]\.schedule\.max_runs: this call's cron max_runs need more than 1000 slots/,
  );
});

test("an end past the last storable instant is that instant", (t) => {
  const years = 3650 * 86_400_000;
  const spec = new RunLimits().bound(
    "schedule",
    { kind: "interval", intervalMs: years, maxRuns: MAX_RUNS },
    t0,
  );
  t.is(spec.endAtMs, MAX_EPOCH_MS);
});

test("refusals name the field: max_runs on an at schedule, above the bound", (t) => {
  const at = refusal(t, () =>
    checkSchedule("instances[0].schedule", { kind: "at", atMs: t0 + minute, maxRuns: 3 }, t0),
  );
  t.regex(at, /^instances\[0\]\.schedule\.max_runs: must be 0 for an at schedule/);
  const above = refusal(t, () =>
    checkSchedule("task.schedule", { kind: "interval", intervalMs: minute, maxRuns: MAX_RUNS + 1 }, t0),
  );
  t.regex(above, /^task\.schedule\.max_runs: must be at most 100000 \(0 is no limit\), got 100001$/);
  t.notThrows(() => checkSchedule("s", { kind: "interval", intervalMs: minute, maxRuns: MAX_RUNS }, t0));
});
