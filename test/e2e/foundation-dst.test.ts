import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { startTestServer, TestClock } from "../support/server.ts";

/*
 * RFC 5545 over the wire: the server computes each instance's first slot from the injected
 * clock, so stepping the clock across a DST day and scheduling afresh walks the slots a
 * user would see, as UTC instants.
 */

const berlin = (value: string) => ({ kind: { case: "cron" as const, value }, timezone: "Europe/Berlin" });

async function firstSlots(cron: string, nows: readonly string[]): Promise<string[]> {
  const clock = new TestClock(0);
  await using s = await startTestServer({ clock });
  await s.scheduler.putTask({ task: { name: "dst", dynamic: true, schedule: berlin(cron) } });
  const slots: string[] = [];
  for (const [i, now] of nows.entries()) {
    clock.set(now);
    const res = await s.scheduler.schedule({ task: "dst", instances: [{ name: `i${i}` }] });
    const next = res.instances[0]?.nextRunAt;
    slots.push(next ? new Date(timestampMs(next)).toISOString() : "none");
  }
  return slots;
}

test("daily 02:30 in Berlin runs once on the spring-forward day, at 03:30 CEST (01:30Z)", async (t) => {
  const slots = await firstSlots("30 2 * * *", [
    "2027-03-27T12:00:00.000Z",
    "2027-03-28T01:30:00.000Z", // right at the slot: the next is the following day
    "2027-03-28T01:30:01.000Z",
  ]);
  t.deepEqual(slots, ["2027-03-28T01:30:00.000Z", "2027-03-29T00:30:00.000Z", "2027-03-29T00:30:00.000Z"]);
});

test("daily 02:30 in Berlin runs once on the fall-back day, at its first occurrence (00:30Z)", async (t) => {
  const slots = await firstSlots("30 2 * * *", [
    "2027-10-30T12:00:00.000Z",
    "2027-10-31T00:30:01.000Z", // between the two 02:30s: the second one does not run
  ]);
  t.deepEqual(slots, ["2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"]);
});

test("an hourly wildcard cron fires in every real hour across both transitions", async (t) => {
  const spring = await firstSlots("0 * * * *", ["2027-03-28T00:00:00.000Z", "2027-03-28T01:00:00.000Z"]);
  t.deepEqual(spring, ["2027-03-28T01:00:00.000Z", "2027-03-28T02:00:00.000Z"]);
  const fall = await firstSlots("0 * * * *", [
    "2027-10-30T23:00:00.000Z",
    "2027-10-31T00:00:00.000Z",
    "2027-10-31T01:00:00.000Z",
  ]);
  // 02:00 CEST (00:00Z) and 02:00 CET (01:00Z) are both real hours.
  t.deepEqual(fall, ["2027-10-31T00:00:00.000Z", "2027-10-31T01:00:00.000Z", "2027-10-31T02:00:00.000Z"]);
});
