import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * max_runs from the command line: --max-runs on `schedule`, a max_runs column in a CSV file.
 * The server turns it into end_at (the N-th slot), which is what the CLI then prints; a
 * max_runs without a schedule is a usage error, one the server refuses exits
 * INVALID_ARGUMENT naming the field.
 */

test("schedule --every --start-at --max-runs prints the end_at it became", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "trial", dynamic: true } });
  const run = await cli(
    [
      "schedule",
      "trial",
      "t",
      "--every",
      "60000",
      "--start-at",
      "2099-03-01T00:00:00Z",
      "--max-runs",
      "3",
      "-o",
      "json",
    ],
    { address },
  );
  t.is(run.code, 0, run.stderr);
  const [printed] = golden(run.stdout) as { schedule: unknown }[];
  t.deepEqual(printed?.schedule, {
    interval: "60s",
    startAt: "2099-03-01T00:00:00Z",
    endAt: "2099-03-01T00:02:00Z",
  });
});

test("--max-runs without a schedule or not a number is a usage error; on --at it is INVALID_ARGUMENT", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "trial", dynamic: true } });
  const alone = await cli(["schedule", "trial", "x", "--max-runs", "3"], { address });
  t.is(alone.code, 2);
  t.regex(alone.stderr, /--max-runs: give with --cron or --every/);
  const word = await cli(["schedule", "trial", "x", "--every", "1000", "--max-runs", "three"], { address });
  t.is(word.code, 2);
  t.regex(word.stderr, /--max-runs: must be a whole number of runs/);
  const once = await cli(["schedule", "trial", "x", "--at", "2099-01-01T00:00:00Z", "--max-runs", "2"], {
    address,
  });
  t.is(once.code, 3, "INVALID_ARGUMENT");
  t.regex(
    once.stderr,
    /^partitura: INVALID_ARGUMENT: instances\[0\]\.schedule\.max_runs: must be 0 for an at schedule/,
  );
  t.deepEqual((await s.scheduler.listInstances({ task: "trial" })).instances, []);
});

test("schedule --file reads a max_runs column", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "drip", dynamic: true } });
  const dir = await mkdtemp(join(tmpdir(), "partitura-max-runs-"));
  const file = join(dir, "drips.csv");
  await writeFile(
    file,
    "name,cron,tz,start_at,max_runs\nthree,0 9 * * *,UTC,2099-06-01T00:00:00Z,3\nplain,0 9 * * *,UTC,,\n",
  );
  const run = await cli(["schedule", "drip", "--file", file, "-o", "json"], { address });
  t.is(run.code, 0, run.stderr);
  const get = async (name: string) =>
    (await s.scheduler.getInstance({ task: "drip", name })).instance?.schedule;
  const three = await get("three");
  t.is(three?.endAt && timestampMs(three.endAt), Date.UTC(2099, 5, 3, 9), "the third 09:00");
  t.is((await get("plain"))?.endAt, undefined);
});
