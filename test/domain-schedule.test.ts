import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { checkSchedule, firstSlot, lastSlotAtOrBefore, nextSlot } from "../src/domain/schedule.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cron = (expression: string, timezone = "UTC"): ScheduleSpec => ({
  kind: "cron",
  cron: expression,
  timezone,
});

/** The `count` slots after `from`, as ISO strings. */
function slots(spec: ScheduleSpec, from: string, count: number): (string | null)[] {
  const out: (string | null)[] = [];
  let at: number | null = firstSlot(spec, Date.parse(from));
  for (let i = 0; i < count && at !== null; i++) {
    out.push(iso(at));
    at = nextSlot(spec, at);
  }
  return out;
}

test("RFC 5545 spring forward: 02:30 Berlin is read with the offset before the gap", (t) => {
  t.deepEqual(slots(cron("30 2 * * *", "Europe/Berlin"), "2027-03-26T12:00:00Z", 4), [
    "2027-03-27T01:30:00.000Z",
    "2027-03-28T01:30:00.000Z",
    "2027-03-29T00:30:00.000Z",
    "2027-03-30T00:30:00.000Z",
  ]);
});

test("RFC 5545 fall back: 02:30 Berlin runs at its first occurrence only", (t) => {
  t.deepEqual(slots(cron("30 2 * * *", "Europe/Berlin"), "2027-10-29T12:00:00Z", 4), [
    "2027-10-30T00:30:00.000Z",
    "2027-10-31T00:30:00.000Z",
    "2027-11-01T01:30:00.000Z",
    "2027-11-02T01:30:00.000Z",
  ]);
});

test("wildcard and stepped hours fire in every real hour", (t) => {
  t.deepEqual(slots(cron("0 * * * *", "Europe/Berlin"), "2027-10-30T23:30:00Z", 4), [
    "2027-10-31T00:00:00.000Z",
    "2027-10-31T01:00:00.000Z",
    "2027-10-31T02:00:00.000Z",
    "2027-10-31T03:00:00.000Z",
  ]);
  t.deepEqual(slots(cron("15 */1 * * *", "Europe/Berlin"), "2027-03-27T23:30:00Z", 4), [
    "2027-03-28T00:15:00.000Z",
    "2027-03-28T01:15:00.000Z",
    "2027-03-28T02:15:00.000Z",
    "2027-03-28T03:15:00.000Z",
  ]);
});

test("US zone: 02:30 New York on the spring-forward day, 01:30 (the repeated hour) on the fall-back day", (t) => {
  t.deepEqual(slots(cron("30 2 * * *", "America/New_York"), "2027-03-13T12:00:00Z", 2), [
    "2027-03-14T07:30:00.000Z",
    "2027-03-15T06:30:00.000Z",
  ]);
  t.deepEqual(slots(cron("30 1 * * *", "America/New_York"), "2027-11-06T12:00:00Z", 2), [
    "2027-11-07T05:30:00.000Z",
    "2027-11-08T06:30:00.000Z",
  ]);
});

test("six fields put seconds first", (t) => {
  t.deepEqual(slots(cron("30 * * * * *"), "2030-01-01T00:00:00Z", 2), [
    "2030-01-01T00:00:30.000Z",
    "2030-01-01T00:01:30.000Z",
  ]);
});

test("intervals count from the slot, one-offs have no next slot", (t) => {
  const t0 = Date.parse("2030-01-01T00:00:00Z");
  t.is(firstSlot({ kind: "interval", intervalMs: 5_000 }, t0), t0 + 5_000);
  t.is(nextSlot({ kind: "interval", intervalMs: 5_000 }, t0 + 5_000), t0 + 10_000);
  t.is(firstSlot({ kind: "at", atMs: t0 - 1 }, t0), t0 - 1);
  t.is(nextSlot({ kind: "at", atMs: t0 }, t0), null);
});

test("lastSlotAtOrBefore finds the latest missed slot and the one after now", (t) => {
  const t0 = Date.parse("2030-01-01T00:00:00Z");
  t.deepEqual(lastSlotAtOrBefore({ kind: "interval", intervalMs: 1_000 }, t0, t0 + 5_500), {
    latest: t0 + 5_000,
    following: t0 + 6_000,
  });
  const minutely = lastSlotAtOrBefore(cron("* * * * *"), t0, t0 + 365 * 86_400_000 + 30_000);
  t.is(iso(minutely.latest), "2031-01-01T00:00:00.000Z");
  t.is(iso(minutely.following), "2031-01-01T00:01:00.000Z");
});

test("checkSchedule refuses bad crons, zones and intervals naming the field", (t) => {
  const now = Date.parse("2030-01-01T00:00:00Z");
  const refused = (spec: ScheduleSpec) => {
    const error = t.throws(() => checkSchedule("s", spec, now));
    t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument);
    return error?.message ?? "";
  };
  t.regex(refused(cron("* * *")), /^s\.cron: .*5 fields/);
  t.regex(refused(cron("0 0 0 * * * *")), /^s\.cron: .*5 fields/);
  t.regex(refused(cron("61 * * * *")), /^s\.cron: "61 \* \* \* \*" is not a valid cron/);
  t.regex(refused(cron("* * * * *", "Europe/Atlantis")), /^s\.timezone: /);
  t.regex(refused({ kind: "interval", intervalMs: 0 }), /^s\.interval: must be at least 1 ms/);
  t.regex(
    refused({ kind: "interval", intervalMs: 3651 * 86_400_000 }),
    /^s\.interval: must be at most 3650 days/,
  );
  // Past 6429 the stores' 6-byte time fields would wrap: refused, never stored wrong.
  t.regex(refused({ kind: "at", atMs: Date.parse("9999-12-31T00:00:00Z") }), /^s\.at: must be between 1970/);
  t.regex(refused({ kind: "at", atMs: -1 }), /^s\.at: must be between 1970/);
  t.notThrows(() => checkSchedule("s", { kind: "at", atMs: Date.parse("6000-01-01T00:00:00Z") }, now));
  t.notThrows(() => checkSchedule("s", cron("0 9 * * 1-5", "Asia/Kolkata"), now));
});

/*
 * Australia/Lord_Howe moves its clocks by 30 minutes: 02:00 (+11:00) back to 01:30 (+10:30) on
 * the first Sunday of April, 02:00 (+10:30) on to 02:30 (+11:00) on the first Sunday of October.
 * cron-parser alone threw "loop limit exceeded" at both, which would have stopped the schedule.
 */
test("Lord Howe fall back: 01:00 daily runs once a day, the repeated 01:45 only at its first occurrence", (t) => {
  const daily = cron("0 1 * * *", "Australia/Lord_Howe");
  t.is(iso(nextSlot(daily, Date.parse("2026-04-04T14:00:00Z"))), "2026-04-05T14:30:00.000Z");
  t.deepEqual(slots(cron("45 1 * * *", "Australia/Lord_Howe"), "2026-04-04T12:00:00Z", 3), [
    "2026-04-04T14:45:00.000Z",
    "2026-04-05T15:15:00.000Z",
    "2026-04-06T15:15:00.000Z",
  ]);
});

test("Lord Howe fall back: a wildcard hour fires in both real 01:45s", (t) => {
  t.deepEqual(slots(cron("45 * * * *", "Australia/Lord_Howe"), "2026-04-04T13:00:00Z", 4), [
    "2026-04-04T13:45:00.000Z",
    "2026-04-04T14:45:00.000Z",
    "2026-04-04T15:15:00.000Z",
    "2026-04-04T16:15:00.000Z",
  ]);
});

test("Lord Howe spring forward: a missing 02:00 or 02:15 is read with the offset before the gap", (t) => {
  const weekly = cron("0 2 * * 0", "Australia/Lord_Howe");
  t.deepEqual(slots(weekly, "2026-09-30T00:00:00Z", 2), [
    "2026-10-03T15:30:00.000Z",
    "2026-10-10T15:00:00.000Z",
  ]);
  t.is(iso(nextSlot(weekly, Date.parse("2026-09-26T15:30:00Z"))), "2026-10-03T15:30:00.000Z");
  t.deepEqual(slots(cron("15 2 * * *", "Australia/Lord_Howe"), "2026-10-02T12:00:00Z", 3), [
    "2026-10-02T15:45:00.000Z",
    "2026-10-03T15:45:00.000Z",
    "2026-10-04T15:15:00.000Z",
  ]);
  // A wildcard hour skips the wall times that never happen (02:00) and keeps the real ones.
  t.deepEqual(slots(cron("0 * * * *", "Australia/Lord_Howe"), "2026-10-03T13:00:00Z", 3), [
    "2026-10-03T13:30:00.000Z",
    "2026-10-03T14:30:00.000Z",
    "2026-10-03T16:00:00.000Z",
  ]);
});

test("scheduled inside a change, a fixed-hour cron still follows RFC 5545", (t) => {
  // 02:05 CET, the second 02:xx: the day's 02:30 was its first occurrence (00:30Z), already past.
  t.is(
    iso(firstSlot(cron("30 2 * * *", "Europe/Berlin"), Date.parse("2026-10-25T01:05:00Z"))),
    "2026-10-26T01:30:00.000Z",
  );
  // 03:05 EDT on the spring-forward day: 02:30 is read as 07:30Z (03:30 EDT), still ahead.
  t.is(
    iso(firstSlot(cron("30 2 * * *", "America/New_York"), Date.parse("2026-03-08T07:05:00Z"))),
    "2026-03-08T07:30:00.000Z",
  );
  // A stepped hour fires only at the hours it names: 02:00 CET does not exist, 04:00 CEST does.
  t.is(
    iso(firstSlot(cron("0 */2 * * *", "Europe/Berlin"), Date.parse("2026-03-28T23:03:00Z"))),
    "2026-03-29T02:00:00.000Z",
  );
});
