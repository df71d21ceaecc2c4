import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { deliveryAt } from "../src/domain/jitter.ts";
import { DEFAULT_PREVIEW_COUNT, MAX_PREVIEW_COUNT } from "../src/domain/limits.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { freshStart, previewCount, previewSlots, storedStart } from "../src/domain/preview.ts";
import { cronNext } from "../src/domain/schedule.ts";

/*
 * PreviewSchedule's slots and DST marks at reference days in Europe/Berlin (spring forward
 * 2027-03-28 02:00 -> 03:00, fall back 2027-10-31 03:00 -> 02:00), the days
 * test/e2e/foundation-dst.test.ts walks through the engine.
 */

const key = { task: "reports", instance: "x" };
const berlin = (cron: string): ScheduleSpec => ({ kind: "cron", cron, timezone: "Europe/Berlin" });
const iso = (ms: number) => new Date(ms).toISOString();

function preview(spec: ScheduleSpec, from: string, count: number) {
  return previewSlots(spec, key, freshStart(spec, Date.parse(from)), count).map((s) => ({
    at: iso(s.at),
    dst: s.dst,
    local: s.localTime,
  }));
}

test("spring forward: 02:30 did not exist, the slot runs at 01:30Z and is marked moved", (t) => {
  t.deepEqual(preview(berlin("30 2 * * *"), "2027-03-27T12:00:00Z", 2), [
    { at: "2027-03-28T01:30:00.000Z", dst: "moved", local: "2027-03-28T02:30:00" },
    { at: "2027-03-29T00:30:00.000Z", dst: "none", local: "2027-03-29T02:30:00" },
  ]);
});

test("fall back: 02:30 occurred twice, the cron runs once at the first and is marked merged", (t) => {
  t.deepEqual(preview(berlin("30 2 * * *"), "2027-10-30T12:00:00Z", 2), [
    { at: "2027-10-31T00:30:00.000Z", dst: "merged", local: "2027-10-31T02:30:00" },
    { at: "2027-11-01T01:30:00.000Z", dst: "none", local: "2027-11-01T02:30:00" },
  ]);
});

test("an hourly wildcard runs in both 02:00 hours (repeated) and skips the missing one", (t) => {
  t.deepEqual(preview(berlin("0 * * * *"), "2027-10-30T23:30:00Z", 3), [
    { at: "2027-10-31T00:00:00.000Z", dst: "repeated", local: "2027-10-31T02:00:00" },
    { at: "2027-10-31T01:00:00.000Z", dst: "repeated", local: "2027-10-31T02:00:00" },
    { at: "2027-10-31T02:00:00.000Z", dst: "none", local: "2027-10-31T03:00:00" },
  ]);
  t.deepEqual(
    preview(berlin("0 * * * *"), "2027-03-28T00:30:00Z", 2).map((s) => s.local),
    ["2027-03-28T03:00:00", "2027-03-28T04:00:00"],
    "02:00 does not exist that day, so no slot names it",
  );
});

test("the slots are the engine's own: each is cronNext of the one before", (t) => {
  const cron = "15 1,2,3 * * *";
  const spec = berlin(cron);
  const slots = previewSlots(spec, key, freshStart(spec, Date.parse("2027-03-27T00:00:00Z")), 12);
  for (let i = 1; i < slots.length; i++) {
    t.is(slots[i]?.at, cronNext(cron, "Europe/Berlin", slots[i - 1]?.at ?? 0));
  }
  t.is(slots.length, 12);
});

test("with jitter each slot carries its deterministic delivery time; without, none", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: 60_000, jitterMs: 30_000 };
  const from = Date.parse("2027-01-01T00:00:00Z");
  const slots = previewSlots(spec, key, freshStart(spec, from), 5);
  t.deepEqual(
    slots.map((s) => s.at),
    [1, 2, 3, 4, 5].map((k) => from + k * 60_000),
  );
  for (const slot of slots) t.is(slot.deliverAt, deliveryAt(key, spec, slot.at));
  t.true(slots.every((s) => s.dst === "none" && s.localTime === undefined));
  t.true(
    previewSlots({ kind: "interval", intervalMs: 60_000 }, key, from, 3).every(
      (s) => s.deliverAt === undefined,
    ),
  );
});

test("a stored instance starts at its next_run_at; a later `from` keeps an interval's phase", (t) => {
  const spec: ScheduleSpec = { kind: "interval", intervalMs: 60_000 };
  const next = Date.parse("2027-01-01T00:00:07Z");
  t.is(storedStart(spec, next, undefined), next);
  t.is(storedStart(spec, next, next - 1), next);
  t.is(storedStart(spec, next, next + 125_000), next + 180_000, "after from, on the instance's own phase");
  t.is(storedStart({ kind: "at", atMs: next }, next, next), null, "a one-off not after from has none");
  t.deepEqual(
    previewSlots({ kind: "at", atMs: next }, key, next, 10).map((s) => s.at),
    [next],
    "a one-off has one slot",
  );
});

test("count: 0 means the default, 1 to the bound is taken, more is refused naming count", (t) => {
  t.is(previewCount(0), DEFAULT_PREVIEW_COUNT);
  t.is(previewCount(1), 1);
  t.is(previewCount(MAX_PREVIEW_COUNT), MAX_PREVIEW_COUNT);
  const error = t.throws(() => previewCount(MAX_PREVIEW_COUNT + 1));
  t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument);
  t.regex(error?.message ?? "", /^count: must be 0 \(10\) to 100/);
});
