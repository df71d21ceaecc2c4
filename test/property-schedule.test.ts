import { execFileSync } from "node:child_process";
import test from "ava";
import fc from "fast-check";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { firstSlot, nextSlot } from "../src/domain/schedule.ts";
import { selectPartition } from "../src/domain/selector.ts";

/*
 * Property tests of the pure schedule math and the selector (fast-check). Runs are kept small
 * so the file finishes in seconds; a failure prints the seed and the shrunk counterexample.
 */

const ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"];
const FROM = Date.parse("2026-01-01T00:00:00Z");
const TO = Date.parse("2031-01-01T00:00:00Z");

const cronArb = fc
  .tuple(
    fc.constantFrom("0", "15", "30", "45", "*/5", "7,37"),
    fc.constantFrom("*", "0", "1", "2", "3", "12", "*/3", "9-17", "23"),
    fc.constantFrom("*", "1", "15", "28"),
    fc.constantFrom("*", "1-5", "0", "6"),
  )
  .map(([m, h, dom, dow]) => `${m} ${h} ${dom} * ${dow}`);

test("every next slot of a cron is strictly after the one before", (t) => {
  fc.assert(
    fc.property(
      cronArb,
      fc.constantFrom(...ZONES),
      fc.integer({ min: FROM, max: TO }),
      (cron, timezone, start) => {
        const spec: ScheduleSpec = { kind: "cron", cron, timezone };
        let slot = firstSlot(spec, start);
        if (slot <= start) return false;
        for (let i = 0; i < 30; i++) {
          const next = nextSlot(spec, slot);
          if (next === null || next <= slot) return false;
          slot = next;
        }
        return true;
      },
    ),
    { numRuns: 100, examples: [["0 2 * * 0", "Australia/Lord_Howe", FROM]] },
  );
  t.pass();
});

const localDay = new Map<string, Intl.DateTimeFormat>();
function dayOf(ms: number, zone: string): string {
  let format = localDay.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    localDay.set(zone, format);
  }
  return format.format(ms);
}

test("a daily cron runs exactly once per local day across every DST change of 2026-2030", (t) => {
  for (const timezone of ZONES.slice(0, 4)) {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45), (hour, minute) => {
        const spec: ScheduleSpec = { kind: "cron", cron: `${minute} ${hour} * * *`, timezone };
        const seen = new Set<string>();
        let previousDay: string | undefined;
        for (let slot = firstSlot(spec, FROM); slot < TO; ) {
          const day = dayOf(slot, timezone);
          if (seen.has(day)) throw new Error(`${spec.cron} ${timezone}: twice on ${day}`);
          if (previousDay !== undefined) {
            const expected = dayOf(Date.parse(`${previousDay}T12:00:00Z`) + 86_400_000, "UTC");
            if (day !== expected)
              throw new Error(`${spec.cron} ${timezone}: no run on ${expected} (next ${day})`);
          }
          seen.add(day);
          previousDay = day;
          const next = nextSlot(spec, slot);
          if (next === null) throw new Error("cron ended");
          slot = next;
        }
        return seen.size >= 1826 - 2;
      }),
      // Hour 1 always: Lord Howe's clocks fall back from 02:00 to 01:30.
      { numRuns: 3, examples: [[1, 0]] },
    );
  }
  t.pass();
});

test("interval slots never drift: the n-th slot is the first plus n intervals", (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 10 * 86_400_000 }),
      fc.integer({ min: FROM, max: TO }),
      fc.integer({ min: 1, max: 500 }),
      (intervalMs, start, steps) => {
        const spec: ScheduleSpec = { kind: "interval", intervalMs };
        const first = firstSlot(spec, start);
        let slot = first;
        for (let i = 0; i < steps; i++) slot = nextSlot(spec, slot) ?? Number.NaN;
        return first === start + intervalMs && slot === first + steps * intervalMs;
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test("the selector agrees with Python's int(sha1(key)) * count // 2**160 on random keys", (t) => {
  const cases = fc.sample(
    fc.tuple(fc.string({ unit: "grapheme", maxLength: 40 }), fc.integer({ min: 1, max: 2 ** 20 })),
    { numRuns: 400, seed: Date.now() % 2 ** 31 },
  );
  const script = [
    "import hashlib, json, sys",
    "cases = json.load(sys.stdin)",
    "print(json.dumps([int(hashlib.sha1(k.encode('utf-8')).hexdigest(), 16) * n // 2**160 for k, n in cases]))",
  ].join("\n");
  const python: number[] = JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(cases) }).toString(),
  );
  const ours = cases.map(([key, count]) => selectPartition(key, count));
  t.deepEqual(ours, python);
});
