import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";
import { startTestServer } from "./support/server.ts";

/*
 * A client in another language, built only from the proto files with Debian's protoc and
 * grpc_python_plugin (scripts/gen-python.sh, output committed in sdk/python/src/partitura/v1). Debian's
 * python3 (/usr/bin/python3) has grpcio; another python3 earlier on PATH may not.
 */
const PYTHON = "/usr/bin/python3";

test("a Python client defines a task, schedules, reads and unschedules instances", async (t) => {
  if (!existsSync(PYTHON)) {
    t.fail(`${PYTHON} is missing: apt-get install python3-grpcio python3-protobuf`);
    return;
  }
  await using s = await startTestServer();
  const { stdout } = await promisify(execFile)(PYTHON, ["test/python/client_test.py", s.address], {
    env: { ...process.env, PYTHONPATH: "sdk/python/src" },
    timeout: 60_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    t.log(error.stdout ?? "", error.stderr ?? "");
    throw new Error(`python client failed: ${error.message}`);
  });
  t.regex(stdout, /ok: Schedule creates three instances/);
  t.regex(stdout, /ok: user-ada is in Pyncette's partition \d+/);
  t.regex(stdout, /ok: a bad cron is refused with INVALID_ARGUMENT naming the field/);
  t.regex(stdout, /PYTHON CLIENT OK\n$/);
});
