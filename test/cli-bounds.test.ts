import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * start_at and end_at from the command line: --start-at/--end-at on `schedule`, start_at and
 * end_at columns in a CSV file; a bound without a schedule to put it on is a usage error, and
 * bounds the server refuses exit INVALID_ARGUMENT naming the field.
 */

test("schedule --every --start-at --end-at stores both bounds and prints them", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "promo", dynamic: true } });
  const run = await cli(
    [
      "schedule",
      "promo",
      "spring",
      "--every",
      "60000",
      "--start-at",
      "2099-03-01T00:00:00Z",
      "--end-at",
      "2099-03-31T00:00:00Z",
      "-o",
      "json",
    ],
    { address },
  );
  t.is(run.code, 0, run.stderr);
  const [printed] = golden(run.stdout) as { schedule: unknown; nextRunAt: string }[];
  t.deepEqual(printed?.schedule, {
    interval: "60s",
    startAt: "2099-03-01T00:00:00Z",
    endAt: "2099-03-31T00:00:00Z",
  });
  t.is(printed?.nextRunAt, "2099-03-01T00:00:00Z", "the first slot is start_at");
});

test("bounds without a schedule are a usage error; out of order they are INVALID_ARGUMENT naming the field", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "promo", dynamic: true } });
  const alone = await cli(["schedule", "promo", "x", "--end-at", "2099-01-01T00:00:00Z"], { address });
  t.is(alone.code, 2);
  t.regex(alone.stderr, /--end-at: give with --cron or --every/);
  const bad = await cli(["schedule", "promo", "x", "--cron", "0 9 * * *", "--start-at", "soon"], { address });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--start-at: "soon" is not an ISO-8601 instant/);
  const order = await cli(
    [
      "schedule",
      "promo",
      "x",
      "--every",
      "1000",
      "--start-at",
      "2099-02-01T00:00:00Z",
      "--end-at",
      "2099-01-01T00:00:00Z",
    ],
    { address },
  );
  t.is(order.code, 3, "INVALID_ARGUMENT");
  t.regex(
    order.stderr,
    /^partitura: INVALID_ARGUMENT: instances\[0\]\.schedule\.end_at: must be after start_at[^\n]*\n$/,
  );
  t.deepEqual((await s.scheduler.listInstances({ task: "promo" })).instances, []);
});

test("schedule --file reads start_at and end_at columns", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "promo", dynamic: true } });
  const dir = await mkdtemp(join(tmpdir(), "partitura-bounds-"));
  const file = join(dir, "promos.csv");
  await writeFile(
    file,
    "name,cron,tz,start_at,end_at\nbounded,0 9 * * *,Europe/Berlin,2099-06-01T00:00:00Z,2099-06-30T00:00:00Z\nplain,0 9 * * *,UTC,,\n",
  );
  const run = await cli(["schedule", "promo", "--file", file, "-o", "json"], { address });
  t.is(run.code, 0, run.stderr);
  const get = async (name: string) =>
    (await s.scheduler.getInstance({ task: "promo", name })).instance?.schedule;
  const bounded = await get("bounded");
  t.is(bounded?.startAt && timestampMs(bounded.startAt), Date.UTC(2099, 5, 1));
  t.is(bounded?.endAt && timestampMs(bounded.endAt), Date.UTC(2099, 5, 30));
  const plain = await get("plain");
  t.is(plain?.startAt, undefined);
  t.is(plain?.endAt, undefined);
});
