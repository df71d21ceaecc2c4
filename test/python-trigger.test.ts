import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";
import { startTestServer, TestClock } from "./support/server.ts";

/*
 * The Python SDK Client's trigger and backfill against a real server on a manual clock, run
 * from the source tree (sdk/python/src on PYTHONPATH) with Debian's python3, which has grpcio.
 */
const PYTHON = "/usr/bin/python3";
const NOW = Date.parse("2026-06-01T12:30:00.000Z");

test("the Python Client triggers and backfills instances and reads their manual_run", async (t) => {
  if (!existsSync(PYTHON)) {
    t.fail(`${PYTHON} is missing: apt-get install python3-grpcio python3-protobuf`);
    return;
  }
  await using s = await startTestServer({ clock: new TestClock(NOW) });
  const { stdout } = await promisify(execFile)(
    PYTHON,
    ["test/python/sdk_trigger.py", s.address, String(NOW)],
    { env: { ...process.env, PYTHONPATH: "sdk/python/src" }, timeout: 90_000 },
  ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    t.log(error.stdout ?? "", error.stderr ?? "");
    throw new Error(`python trigger test failed: ${error.message}`);
  });
  t.regex(stdout, /ok: the execution's reason is triggered/);
  t.regex(stdout, /ok: the same request id answers duplicate/);
  t.regex(stdout, /ok: oldest first, reason backfill/);
  t.regex(stdout, /ok: a range of more than 1000 slots raises INVALID_ARGUMENT naming end/);
  t.regex(stdout, /PYTHON TRIGGER OK\n$/);
});
