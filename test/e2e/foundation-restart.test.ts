import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { startTestServer, TestClock, testStoreUrl } from "../support/server.ts";

test("tasks and instances survive a restart on the same store", async (t) => {
  const clock = new TestClock(Date.parse("2030-01-01T00:00:00Z"));
  const storeUrl = testStoreUrl();
  const first = await startTestServer({ storeUrl, clock });
  await first.scheduler.putTask({ task: { name: "durable", dynamic: true, partitionCount: 8 } });
  await first.scheduler.putTask({
    task: { name: "static", schedule: { kind: { case: "cron", value: "0 3 * * *" } } },
  });
  await first.scheduler.schedule({
    task: "durable",
    instances: [{ name: "kept", schedule: { kind: { case: "cron", value: "0 12 * * *" } }, args: { n: 1 } }],
  });
  await first.stop();

  clock.advance(3_600_000);
  await using second = await startTestServer({ storeUrl, clock });
  t.is((await second.scheduler.getTask({ name: "durable" })).task?.partitionCount, 8);
  const kept = (await second.scheduler.getInstance({ task: "durable", name: "kept" })).instance;
  t.deepEqual(kept?.args, { n: 1 });
  t.is(kept?.nextRunAt && timestampMs(kept.nextRunAt), Date.parse("2030-01-01T12:00:00Z"));
  // The restarted process re-puts its static task (as a deploy would): the due time stays.
  await second.scheduler.putTask({
    task: { name: "static", schedule: { kind: { case: "cron", value: "0 3 * * *" } } },
  });
  const nightly = (await second.scheduler.getInstance({ task: "static", name: "static" })).instance;
  t.is(nightly?.nextRunAt && timestampMs(nightly.nextRunAt), Date.parse("2030-01-01T03:00:00Z"));
});
