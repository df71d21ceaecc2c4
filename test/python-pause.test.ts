import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";
import { startTestServer } from "./support/server.ts";

/*
 * The Python SDK Client's pause and resume against a real server, run from the source tree
 * (sdk/python/src on PYTHONPATH) with Debian's python3, which has grpcio.
 */
const PYTHON = "/usr/bin/python3";

test("the Python Client pauses and resumes instances and reads their state", async (t) => {
  if (!existsSync(PYTHON)) {
    t.fail(`${PYTHON} is missing: apt-get install python3-grpcio python3-protobuf`);
    return;
  }
  await using s = await startTestServer();
  const { stdout } = await promisify(execFile)(PYTHON, ["test/python/sdk_pause.py", s.address], {
    env: { ...process.env, PYTHONPATH: "sdk/python/src" },
    timeout: 60_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    t.log(error.stdout ?? "", error.stderr ?? "");
    throw new Error(`python pause test failed: ${error.message}`);
  });
  t.regex(stdout, /ok: pause answers per name/);
  t.regex(stdout, /ok: a note over 500 bytes raises PartituraError\(INVALID_ARGUMENT\) naming the field/);
  t.regex(stdout, /PYTHON PAUSE OK\n$/);
});
