import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/* `partitura schedule --file` and `partitura tail`, run as a user runs them. */

const dir = mkdtempSync(join(tmpdir(), "partitura-cli-"));

test("schedule --file examples/reminders.csv creates every row, then reports them updated", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "reminders", dynamic: true, partitionCount: 8 } });
  const first = await cli(["schedule", "reminders", "--file", "examples/reminders.csv", "-o", "json"], {
    address,
  });
  t.is(first.code, 0, first.stderr);
  t.deepEqual(golden(first.stdout), [{ created: 3, updated: 0, locked: 0, failed: 0 }]);
  t.is(first.stderr, "", "no progress bar when stderr is not a terminal");
  const again = await cli(["schedule", "reminders", "--file", "examples/reminders.csv"], { address });
  t.is(again.stdout, "CREATED  UPDATED  LOCKED  FAILED\n0        3        0       0\n");
  const { instance } = await s.scheduler.getInstance({ task: "reminders", name: "daily-ada" });
  t.like(instance, { args: { user: "ada" }, schedule: { timezone: "Europe/Berlin" } });
});

test("schedule --file sends batches of --batch; a refused batch is counted failed and sets the exit code", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "bulk", dynamic: true, partitionCount: 16 } });
  const lines = Array.from({ length: 2_500 }, (_, i) =>
    JSON.stringify({ name: `i${i}`, schedule: { at: "2030-01-01T00:00:00Z" } }),
  );
  // One bad cron in the second batch: the server refuses that batch whole.
  lines[1_234] = JSON.stringify({ name: "bad", schedule: { cron: "61 * * * *" } });
  const file = join(dir, "bulk.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const result = await cli(["schedule", "bulk", "--file", file, "--batch", "1000", "-o", "json"], {
    address,
  });
  t.is(result.code, 3, "INVALID_ARGUMENT of the refused batch");
  t.deepEqual(golden(result.stdout), [{ created: 1_500, updated: 0, locked: 0, failed: 1_000 }]);
  t.regex(
    result.stderr,
    /^partitura: lines 1001-2000: INVALID_ARGUMENT: instances\[234\]\.schedule\.cron: [^\n]+\n$/,
  );
  let stored = 0;
  for (let partition = 0; partition < 16; partition++) {
    const { instances } = await s.scheduler.listInstances({ task: "bulk", partition, pageSize: 5_000 });
    stored += instances.length;
  }
  t.is(stored, 1_500);
});

test("schedule --file checks the whole file first: a bad line stores nothing and names file, line and field", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({ task: { name: "r", dynamic: true } });
  const file = join(dir, "bad.csv");
  writeFileSync(file, "name,every\nok,1000\nbroken,soon\n");
  const result = await cli(["schedule", "r", "--file", file], { address: s.address });
  t.is(result.code, 2);
  t.is(result.stderr, "partitura: bad.csv:3: every: must be a number of milliseconds, at least 1\n");
  const unknown = join(dir, "cols.csv");
  writeFileSync(unknown, "name,when\nx,now\n");
  const cols = await cli(["schedule", "r", "--file", unknown], { address: s.address });
  t.regex(cols.stderr, /cols\.csv:1: unknown column "when"/);
  const { instances } = await s.scheduler.listInstances({ task: "r" });
  t.deepEqual(instances, []);
});

test("tail prints executions as delivered; by default it acks nothing, --ack acks each", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "live", dynamic: true, partitionCount: 2 } });
  const now = Date.now();
  await s.scheduler.schedule({
    task: "live",
    instances: [{ name: "one", schedule: { kind: { case: "at", value: timestampFromMs(now) } } }],
  });
  const watched = await cli(["tail", "live", "--count", "1", "-o", "json"], { address });
  t.is(watched.code, 0, watched.stderr);
  const [execution] = golden(watched.stdout) as [Record<string, unknown>];
  t.like(execution, { task: "live", instance: "one", attempt: 1, leaseId: execution?.leaseId });
  // tail gave the lease back untouched when it exited: the one-off is still there, due again.
  const { instance } = await s.scheduler.getInstance({ task: "live", name: "one" });
  t.truthy(instance, "not acked: the instance stays");
  const acked = await cli(["tail", "live", "--count", "1", "--ack"], { address });
  t.is(acked.code, 0, acked.stderr);
  t.regex(acked.stdout, /^SCHEDULED +INSTANCE +PARTITION +ATTEMPT +ACK\n\S+ +one +\d +\d +success\n$/);
  const after = await s.scheduler
    .getInstance({ task: "live", name: "one" })
    .catch((e: { code: number }) => e.code);
  t.is(after, 5, "acked: the one-off is done and gone (NOT_FOUND)");
});
