import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { planSlot, skipMissedSlot } from "../src/domain/misfire.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { upcomingSlots } from "../src/domain/preview.ts";
import { checkSchedule, firstSlot, lastSlotAtOrBefore, nextSlot } from "../src/domain/schedule.ts";

/*
 * start_at and end_at at fixed reference instants: the first slot honours the start, no slot
 * passes the end (whether stepped, fast-forwarded or skipped), and the refusals name the field.
 */

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const minute = 60_000;
const t0 = at("2027-01-10T12:00:00Z");

/** Every slot of a bounded schedule from a fresh Schedule call at `now` (at most `limit`). */
function all(spec: ScheduleSpec, now: number, limit = 50): (string | null)[] {
  return upcomingSlots(spec, firstSlot(spec, now), limit).map(iso);
}

function refusal(t: import("ava").ExecutionContext, run: () => void): string {
  const error = t.throws(run);
  t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument, String(error));
  return error?.message ?? "";
}

test("interval: the first slot is start_at itself while it is ahead, now + interval once it has passed", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: 10 * minute, startAtMs: t0 + 3 * minute };
  t.is(firstSlot(spec, t0), t0 + 3 * minute);
  t.is(firstSlot(spec, t0 + 5 * minute), t0 + 15 * minute);
  t.is(nextSlot(spec, t0 + 3 * minute), t0 + 13 * minute);
});

test("cron: the first slot is the first at or after start_at (a slot at the start itself counts)", (t) => {
  const hourly: ScheduleSpec = { kind: "cron", cron: "0 * * * *", timezone: "UTC" };
  t.is(iso(firstSlot({ ...hourly, startAtMs: at("2027-01-11T05:00:00Z") }, t0)), "2027-01-11T05:00:00.000Z");
  t.is(
    iso(firstSlot({ ...hourly, startAtMs: at("2027-01-11T05:00:00.001Z") }, t0)),
    "2027-01-11T06:00:00.000Z",
  );
  // A start already passed changes nothing: the first slot after now.
  t.is(iso(firstSlot({ ...hourly, startAtMs: t0 - minute }, t0)), "2027-01-10T13:00:00.000Z");
});

test("nextSlot is null past end_at; a slot at end_at itself still runs", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: minute, endAtMs: t0 + 3 * minute };
  t.deepEqual(all(spec, t0), [iso(t0 + minute), iso(t0 + 2 * minute), iso(t0 + 3 * minute)]);
  t.is(nextSlot(spec, t0 + 3 * minute), null);
  const daily: ScheduleSpec = {
    kind: "cron",
    cron: "0 9 * * *",
    timezone: "UTC",
    endAtMs: at("2027-01-12T08:59:59Z"),
  };
  t.deepEqual(all(daily, t0), ["2027-01-11T09:00:00.000Z"]);
});

test("a cron within bounds keeps the RFC 5545 DST rules (Berlin, spring forward and fall back)", (t) => {
  const spring: ScheduleSpec = {
    kind: "cron",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    startAtMs: at("2027-03-27T00:00:00Z"),
    endAtMs: at("2027-03-29T12:00:00Z"),
  };
  t.deepEqual(all(spring, at("2027-03-20T12:00:00Z")), [
    "2027-03-27T01:30:00.000Z",
    "2027-03-28T01:30:00.000Z", // 02:30 does not exist: read with the offset before the gap
    "2027-03-29T00:30:00.000Z",
  ]);
  const fall: ScheduleSpec = {
    kind: "cron",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    startAtMs: at("2027-10-31T00:00:00Z"),
    endAtMs: at("2027-11-01T01:30:00Z"),
  };
  // 02:30 occurs twice on the 31st: only its first occurrence; the end is the 1st's slot itself.
  t.deepEqual(all(fall, at("2027-10-01T00:00:00Z")), [
    "2027-10-31T00:30:00.000Z",
    "2027-11-01T01:30:00.000Z",
  ]);
});

test("missed slots never pass end_at: the latest is the last before the end and nothing follows", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: minute, endAtMs: t0 + 5 * minute };
  const late = t0 + 60 * minute;
  t.deepEqual(lastSlotAtOrBefore(spec, t0 + minute, late), { latest: t0 + 5 * minute, following: null });
  const cron: ScheduleSpec = { kind: "cron", cron: "* * * * *", timezone: "UTC", endAtMs: t0 + 5 * minute };
  t.deepEqual(lastSlotAtOrBefore(cron, t0 + minute, late), { latest: t0 + 5 * minute, following: null });
  // Within the bound, the slot after now, as without one.
  t.deepEqual(lastSlotAtOrBefore(spec, t0 + minute, t0 + 150_000), {
    latest: t0 + 2 * minute,
    following: t0 + 3 * minute,
  });
  // FAST_FORWARD runs the last slot before the end and removes the instance; SKIP removes it unrun.
  t.deepEqual(planSlot(spec, "fast_forward", 1_000, t0 + minute, late), {
    deliver: t0 + 5 * minute,
    next: null,
  });
  t.deepEqual(planSlot(spec, "skip", 1_000, t0 + minute, late), { deliver: null, next: null });
  t.deepEqual(planSlot(spec, "catch_up", 1_000, t0 + 5 * minute, late), {
    deliver: t0 + 5 * minute,
    next: null,
  });
  // A resume that skips missed slots past the end keeps the stored slot; the misfire policy then decides.
  t.is(skipMissedSlot(spec, t0 + minute, late), t0 + minute);
});

test("end_at at or before start_at is refused naming end_at", (t) => {
  const base: ScheduleSpec = { kind: "interval", intervalMs: minute, startAtMs: t0 + minute };
  for (const endAtMs of [t0 + minute, t0]) {
    const message = refusal(t, () => checkSchedule("instances[0].schedule", { ...base, endAtMs }, t0));
    t.regex(message, /instances\[0\]\.schedule\.end_at: must be after start_at/);
  }
  t.notThrows(() => checkSchedule("s", { ...base, endAtMs: t0 + minute + 1 }, t0));
});

test("bounds on an at schedule are refused: they apply to cron and interval schedules", (t) => {
  const once: ScheduleSpec = { kind: "at", atMs: t0 + minute };
  t.regex(
    refusal(t, () => checkSchedule("s", { ...once, startAtMs: t0 }, t0)),
    /s\.start_at: .*apply to cron and interval/,
  );
  t.regex(
    refusal(t, () => checkSchedule("s", { ...once, endAtMs: t0 + 2 * minute }, t0)),
    /s\.end_at: .*apply to cron and interval/,
  );
});

test("a schedule whose first slot is past end_at is refused naming end_at", (t) => {
  const ended: ScheduleSpec = { kind: "interval", intervalMs: 10 * minute, endAtMs: t0 + 5 * minute };
  t.regex(
    refusal(t, () => checkSchedule("task.schedule", ended, t0)),
    /task\.schedule\.end_at: .* leaves no slot/,
  );
  const cron: ScheduleSpec = { kind: "cron", cron: "0 9 * * *", timezone: "UTC", endAtMs: t0 - minute };
  t.regex(
    refusal(t, () => checkSchedule("s", cron, t0)),
    /s\.end_at/,
  );
  t.regex(
    refusal(t, () => checkSchedule("s", { ...cron, endAtMs: 2 ** 48 }, t0)),
    /s\.end_at: must be between/,
  );
});
