import test from "ava";
import { planSlot, skipMissedSlot } from "../src/domain/misfire.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";

const t0 = Date.parse("2030-01-01T00:00:00Z");
const minute = 60_000;
const everyMinute: ScheduleSpec = { kind: "cron", cron: "* * * * *", timezone: "UTC" };

test("a slot claimed within the grace runs and continues from the slot (no drift)", (t) => {
  for (const policy of ["catch_up", "fast_forward", "skip"] as const) {
    t.deepEqual(
      planSlot(everyMinute, policy, 1_000, t0, t0 + 900),
      { deliver: t0, next: t0 + minute },
      policy,
    );
  }
});

test("CATCH_UP runs every missed slot, one at a time", (t) => {
  t.deepEqual(planSlot(everyMinute, "catch_up", 1_000, t0, t0 + 10 * minute + 5), {
    deliver: t0,
    next: t0 + minute,
  });
});

test("FAST_FORWARD runs the latest missed slot once and continues after now", (t) => {
  t.deepEqual(planSlot(everyMinute, "fast_forward", 1_000, t0, t0 + 10 * minute + 5_000), {
    deliver: t0 + 10 * minute,
    next: t0 + 11 * minute,
  });
});

test("SKIP runs no missed slot, but does run a latest slot that is itself on time", (t) => {
  t.deepEqual(planSlot(everyMinute, "skip", 1_000, t0, t0 + 10 * minute + 5_000), {
    deliver: null,
    next: t0 + 11 * minute,
  });
  t.deepEqual(planSlot(everyMinute, "skip", 1_000, t0, t0 + 10 * minute + 500), {
    deliver: t0 + 10 * minute,
    next: t0 + 11 * minute,
  });
});

test("a one-off always runs once, however late, and is then deleted", (t) => {
  for (const policy of ["catch_up", "fast_forward", "skip"] as const) {
    t.deepEqual(planSlot({ kind: "at", atMs: t0 }, policy, 1_000, t0, t0 + 86_400_000), {
      deliver: t0,
      next: null,
    });
  }
});

test("intervals fast-forward arithmetically", (t) => {
  const every5s: ScheduleSpec = { kind: "interval", intervalMs: 5_000 };
  t.deepEqual(planSlot(every5s, "fast_forward", 1_000, t0, t0 + 23_000), {
    deliver: t0 + 20_000,
    next: t0 + 25_000,
  });
});

test("resume with skip_missed: the first slot after now; a slot still ahead and a one-off are kept", (t) => {
  const daily: ScheduleSpec = { kind: "cron", cron: "0 9 * * *", timezone: "Europe/Berlin" };
  const stored = Date.parse("2030-01-01T08:00:00Z"); // 09:00 in Berlin
  const now = Date.parse("2030-01-04T12:00:00Z");
  t.is(skipMissedSlot(daily, stored, now), Date.parse("2030-01-05T08:00:00Z"), "three missed days skipped");
  t.is(skipMissedSlot(daily, stored, stored - 1), stored, "not missed yet: kept");
  const interval: ScheduleSpec = { kind: "interval", intervalMs: minute };
  t.is(skipMissedSlot(interval, t0, t0 + 5 * minute + 1), t0 + 6 * minute, "on the interval's own grid");
  t.is(
    skipMissedSlot(interval, t0, t0 + 5 * minute),
    t0 + 6 * minute,
    "a slot exactly at now counts as missed",
  );
  t.is(skipMissedSlot({ kind: "at", atMs: t0 }, t0, t0 + minute), t0, "a one-off still runs once");
});
