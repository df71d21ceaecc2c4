import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { checkJitter, deliveryAt, holdUntil, jitterDelay } from "../src/domain/jitter.ts";
import { MAX_JITTER_MS } from "../src/domain/limits.ts";
import { planSlot } from "../src/domain/misfire.ts";
import type { ScheduleSpec } from "../src/domain/model.ts";
import { checkSchedule } from "../src/domain/schedule.ts";

/*
 * Deterministic jitter, at fixed reference instants: the same (task, instance, slot) always
 * gives the same delivery time, never before the slot and never a full jitter after it, and a
 * herd of instances due at one instant spreads over the whole range.
 */

const T0 = Date.UTC(2027, 0, 1, 9, 0, 0);
const MINUTE = 60_000;
const daily: ScheduleSpec = { kind: "cron", cron: "0 9 * * *", timezone: "UTC", jitterMs: MINUTE };

test("the delay is a pure function of task, instance and slot (pinned values)", (t) => {
  const key = { task: "reports", instance: "customer-42" };
  const first = jitterDelay(key, T0, MINUTE);
  t.is(jitterDelay(key, T0, MINUTE), first, "the same inputs give the same delay");
  t.is(jitterDelay({ ...key }, T0, MINUTE), first, "whatever object carries them");
  // Pinned: a change to the hash would move every stored hold and every replica's answer.
  t.deepEqual(
    [0, 1, 2].map((day) => jitterDelay(key, T0 + day * 86_400_000, MINUTE)),
    [26_739, 3_804, 53_868],
    "three days of one instance, each slot its own delay",
  );
  t.not(
    jitterDelay({ task: "reports", instance: "customer-43" }, T0, MINUTE),
    first,
    "another instance differs",
  );
  // The NUL separator keeps (a, b1) apart from (ab, 1).
  t.not(
    jitterDelay({ task: "a", instance: "b1" }, T0, 3_600_000),
    jitterDelay({ task: "ab", instance: "1" }, T0, 3_600_000),
  );
});

test("the delivery time is never before the slot and always within the jitter", (t) => {
  for (let i = 0; i < 5_000; i++) {
    const key = { task: "herd", instance: `i${i}` };
    const slot = T0 + i * 7_919;
    for (const jitter of [1, 2, 999, MINUTE, MAX_JITTER_MS]) {
      const at = deliveryAt(key, { kind: "interval", intervalMs: MAX_JITTER_MS, jitterMs: jitter }, slot);
      if (at < slot || at >= slot + jitter)
        return t.fail(`${key.instance} jitter ${jitter}: ${at - slot} ms`);
    }
  }
  t.is(
    deliveryAt({ task: "t", instance: "i" }, { kind: "interval", intervalMs: MINUTE }, T0),
    T0,
    "no jitter: the slot",
  );
  t.pass();
});

test("a herd of 100,000 instances due at one instant spreads evenly over the jitter", (t) => {
  const buckets = new Array<number>(60).fill(0);
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    const delay = jitterDelay({ task: "daily", instance: `customer-${i}` }, T0, MINUTE);
    buckets[Math.floor(delay / 1_000)] = (buckets[Math.floor(delay / 1_000)] ?? 0) + 1;
  }
  const expected = n / 60;
  const worst = Math.max(...buckets.map((b) => Math.abs(b - expected) / expected));
  t.log(
    `per-second buckets: min ${Math.min(...buckets)}, max ${Math.max(...buckets)}, expected ${expected.toFixed(0)}`,
  );
  // Uniform: each second of the minute gets its share within 10 % (binomial sd is about 2 %).
  t.true(worst < 0.1, `worst bucket is ${(worst * 100).toFixed(1)} % off`);
});

test("holdUntil: undefined without jitter, without a slot, or when the delay is 0; else the delivery time", (t) => {
  const key = { task: "reports", instance: "x" };
  t.is(holdUntil(key, { kind: "interval", intervalMs: MINUTE }, T0), undefined);
  t.is(holdUntil(key, daily, null), undefined);
  t.is(holdUntil(key, { ...daily, jitterMs: 1 }, T0), undefined, "a 1 ms jitter never delays");
  const hold = holdUntil(key, daily, T0);
  const delay = jitterDelay(key, T0, MINUTE);
  t.is(hold, delay === 0 ? undefined : T0 + delay);
});

test("jitter bounds: 1 ms to an hour, whole ms, and for an interval not longer than it", (t) => {
  const refusal = (spec: ScheduleSpec) => {
    const error = t.throws(() => checkSchedule("instances[3].schedule", spec, T0));
    t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument);
    return error?.message ?? "";
  };
  t.regex(
    refusal({ ...daily, jitterMs: MAX_JITTER_MS + 1 }),
    /^instances\[3\]\.schedule\.jitter: must be 0 \(none\) to 60 minutes/,
  );
  t.regex(refusal({ ...daily, jitterMs: -5 }), /^instances\[3\]\.schedule\.jitter:/);
  t.regex(refusal({ ...daily, jitterMs: 1.5 }), /^instances\[3\]\.schedule\.jitter:/);
  t.regex(
    refusal({ kind: "interval", intervalMs: 10_000, jitterMs: 10_001 }),
    /^instances\[3\]\.schedule\.jitter: must not be longer than the interval \(10000 ms\)/,
  );
  t.notThrows(() => checkSchedule("s", { kind: "interval", intervalMs: 10_000, jitterMs: 10_000 }, T0));
  t.notThrows(() => checkSchedule("s", { ...daily, jitterMs: MAX_JITTER_MS }, T0));
  t.notThrows(() => checkSchedule("s", { kind: "at", atMs: T0, jitterMs: 5 }, T0));
  t.notThrows(() => checkJitter("s", { kind: "at", atMs: T0 }));
});

test("misfire counts from the delivery time: a jittered slot claimed at its delivery time is on time", (t) => {
  const key = { task: "reports", instance: "late-one" };
  const spec: ScheduleSpec = { kind: "cron", cron: "*/5 * * * *", timezone: "UTC", jitterMs: 4 * MINUTE };
  // Find a slot whose delay passes the 1 s grace by far, then claim it exactly at delivery.
  let slot = T0;
  while (jitterDelay(key, slot, spec.jitterMs) < 30_000) slot += 5 * MINUTE;
  const at = deliveryAt(key, spec, slot);
  t.deepEqual(planSlot(spec, "skip", 1_000, slot, at, key), { deliver: slot, next: slot + 5 * MINUTE });
  // Without the key (no jitter known), the same claim is a missed slot SKIP drops.
  t.is(planSlot(spec, "skip", 1_000, slot, at).deliver, null);
  // Past the grace after its delivery time it is missed.
  t.is(planSlot(spec, "skip", 1_000, slot, at + 1_001, key).deliver, null);
});
