import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";
import { startTestServer } from "./support/server.ts";

/*
 * A worker in another language, built only from the proto files with Debian's protoc and
 * grpc_python_plugin (sdk/python/src/partitura/v1): it receives executions on Execute and acks them. It runs
 * on the wall clock, like any real worker, so it takes a couple of seconds.
 */
const PYTHON = "/usr/bin/python3";

test("a Python worker receives executions on Execute, heartbeats and acks them", async (t) => {
  if (!existsSync(PYTHON)) {
    t.fail(`${PYTHON} is missing: apt-get install python3-grpcio python3-protobuf`);
    return;
  }
  await using s = await startTestServer();
  const { stdout } = await promisify(execFile)(PYTHON, ["test/python/execute_test.py", s.address], {
    env: { ...process.env, PYTHONPATH: "sdk/python/src" },
    timeout: 60_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    t.log(error.stdout ?? "", error.stderr ?? "");
    throw new Error(`python worker failed: ${error.message}`);
  });
  t.regex(stdout, /ok: email-0: args are the instance's over the task's defaults/);
  t.regex(stdout, /ok: ExtendLeases keeps a lease/);
  t.regex(stdout, /ok: the ticker's slots are one second apart/);
  t.regex(stdout, /ok: a malformed lease id is refused with INVALID_ARGUMENT naming the field/);
  t.regex(stdout, /PYTHON WORKER OK\n$/);
});
