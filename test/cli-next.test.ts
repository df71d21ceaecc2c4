import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { cli } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * `partitura next`: --cron offline (its JSON unchanged, its table now marking DST), --task
 * through PreviewSchedule for a stored instance, with jittered delivery times and DST marks.
 */

test("next --task --instance previews a stored jittered instance through the server", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "herd", dynamic: true } });
  const schedule = {
    kind: { case: "interval" as const, value: durationFromMs(60_000) },
    jitter: durationFromMs(30_000),
  };
  await s.scheduler.schedule({ task: "herd", instances: [{ name: "c-9", schedule }] });
  const stored = (await s.scheduler.getInstance({ task: "herd", name: "c-9" })).instance;
  const result = await cli(["next", "--task", "herd", "--instance", "c-9", "--count", "3", "-o", "json"], {
    address: s.address,
  });
  t.is(result.code, 0, result.stderr);
  const slots = JSON.parse(result.stdout) as { at: string; deliverAt?: string; dst?: string }[];
  t.is(slots.length, 3);
  t.is(slots[0]?.at, stored?.nextRunAt && new Date(timestampMs(stored.nextRunAt)).toISOString());
  for (const slot of slots) {
    const delay = Date.parse(slot.deliverAt ?? "") - Date.parse(slot.at);
    t.true(delay >= 0 && delay < 30_000, `${slot.at}: delay ${delay}`);
    t.is(slot.dst, undefined, "an interval has no DST marks");
  }
  const table = await cli(["next", "--task", "herd", "--instance", "c-9", "--count", "1"], {
    address: s.address,
  });
  t.regex(table.stdout, /^AT +LOCAL +DELIVER_AT +DST\n\d{4}-\d\d-\d\dT[^ ]+Z +\d{4}-/);
});

test("next --task of a static Berlin cron marks the DST slot; errors name the flag or field", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: {
      name: "nightly",
      schedule: { kind: { case: "cron", value: "30 2 * * *" }, timezone: "Europe/Berlin" },
    },
  });
  const result = await cli(
    ["next", "--task", "nightly", "--from", "2027-03-27T12:00:00Z", "--count", "2", "-o", "json"],
    { address: s.address },
  );
  t.is(result.code, 0, result.stderr);
  t.deepEqual(JSON.parse(result.stdout), [
    { at: "2027-03-28T01:30:00.000Z", dst: "moved", localTime: "2027-03-28T02:30:00" },
    { at: "2027-03-29T00:30:00.000Z", localTime: "2027-03-29T02:30:00" },
  ]);
  const missing = await cli(["next", "--task", "nightly", "--instance", "other"], { address: s.address });
  t.is(missing.code, 5, "NOT_FOUND");
  t.regex(missing.stderr, /^partitura: NOT_FOUND: instance: task "nightly" has no instance "other"\n$/);
  const both = await cli(["next", "--task", "nightly", "--cron", "* * * * *"]);
  t.is(both.code, 2);
  t.regex(both.stderr, /--cron, --task: give one, not both/);
});

test("next --cron stays offline; its table marks the slot DST moved", async (t) => {
  const result = await cli([
    "next",
    "--cron",
    "30 2 * * *",
    "--tz",
    "Europe/Berlin",
    "--from",
    "2026-03-28T12:00:00Z",
    "--count",
    "2",
  ]);
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split("\n");
  t.regex(lines[0] ?? "", /^UTC +LOCAL +DST$/);
  t.regex(lines[1] ?? "", /^2026-03-29T01:30:00\.000Z .*moved \(2026-03-29 02:30:00\)$/);
  t.notRegex(lines[2] ?? "", /moved|merged/);
});
