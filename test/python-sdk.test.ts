import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import type { LedgerEntry } from "./support/execution-ledger.ts";
import { startTestServer, testStoreUrl } from "./support/server.ts";
import {
  HOLD_MS,
  MAX_IN_FLIGHT,
  partitionMove,
  type StartWorker,
  serverRestart,
  streamCut,
} from "./support/worker-faults.ts";

/*
 * The Python SDK as a user gets it: sdk/python installed offline into a fresh venv with the
 * README's command, then programs run with the venv's python from a directory outside the
 * checkout, so `import partitura` can only find the installed package.
 */
const INSTALL =
  "/usr/bin/python3 -m venv --system-site-packages v && v/bin/pip install --no-build-isolation --no-deps ./sdk/python";
const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), "partitura-python-sdk-"));
const python = join(home, "v", "bin", "python");
const installed = join(home, "v", "lib");

test.before("install the package into a venv with the README's command", async () => {
  if (!existsSync("/usr/bin/python3"))
    throw new Error("/usr/bin/python3 is missing: apt-get install python3-venv");
  // A copy of the package, so the build's in-tree files (build/, *.egg-info) stay out of the checkout.
  cpSync("sdk/python", join(home, "sdk", "python"), {
    recursive: true,
    filter: (path) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(path),
  });
  await run("bash", ["-c", INSTALL], {
    cwd: home,
    timeout: 90_000,
    env: { ...process.env, PIP_NO_INDEX: "1" },
  });
});
test.after.always(() => rmSync(home, { recursive: true, force: true }));

async function runPython(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const { stdout } = await run(python, [script, ...args], {
    cwd: home,
    env: { ...process.env, ...env, PYTHONPATH: "" },
    timeout: 90_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${script} failed: ${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
  });
  return stdout;
}

/** A Python process whose stdout lines are collected as they come. */
class PythonProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private stderr = "";
  private listeners: (() => void)[] = [];
  constructor(script: string, args: readonly string[]) {
    this.child = spawn(python, [script, ...args], { cwd: home, env: { ...process.env, PYTHONPATH: "" } });
    let partial = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts);
      for (const listener of this.listeners) listener();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }
  get errors(): string {
    return this.stderr;
  }
  /** Resolves once `predicate` holds for the lines so far (or fails after `ms`). */
  until(predicate: (lines: readonly string[]) => boolean, ms = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out; output:\n${this.lines.join("\n")}\n${this.stderr}`)),
        ms,
      );
      const check = () => {
        if (!predicate(this.lines)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
      check();
    });
  }
  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
  /** Closes the process's stdin (sdk_ledger_worker.py stops gracefully on it). */
  endInput(): void {
    this.child.stdin?.end();
  }
}

interface Exec {
  readonly name: string;
  readonly attempt: number;
  readonly args: unknown;
}
function executions(lines: readonly string[]): Exec[] {
  return lines
    .filter((line) => line.startsWith("exec "))
    .map((line) => {
      const [, name = "", attempt = "0", ...args] = line.split(" ");
      return { name, attempt: Number(attempt), args: JSON.parse(args.join(" ")) };
    });
}

const absolutePackage = (stdout: string) => /^package: (.*)$/m.exec(stdout)?.[1] ?? "";

test.serial("the installed Python SDK's pure parts (routes, args, schedules, backoff)", async (t) => {
  const stdout = await runPython(join(process.cwd(), "test/python/sdk_units.py"), []);
  t.regex(stdout, /ok: one stream per replica that owns partitions/);
  t.regex(stdout, /ok: a redelivery of a success whose ack is unconfirmed is acked/);
  t.regex(stdout, /PYTHON SDK UNITS OK\n$/);
});

test.serial("the installed Python Client speaks TLS and sends the bearer token", async (t) => {
  const stdout = await runPython(join(process.cwd(), "test/python/sdk_tls.py"), []);
  t.regex(stdout, /ok: TLS with the CA's roots, and the token as a bearer header/);
  t.regex(stdout, /ok: an untrusted server certificate fails the call/);
  t.regex(stdout, /PYTHON SDK TLS OK\n$/);
});

test.serial("the installed Python Client schedules and its Worker executes", async (t) => {
  await using s = await startTestServer();
  const stdout = await runPython(join(process.cwd(), "test/python/sdk_roundtrip.py"), [s.address]);
  t.true(absolutePackage(stdout).startsWith(installed), `imported from ${absolutePackage(stdout)}`);
  t.regex(stdout, /ok: a bad cron raises PartituraError\(INVALID_ARGUMENT\) naming the field/);
  t.regex(stdout, /ok: RetryLater fails the execution and it runs again/);
  t.regex(stdout, /PYTHON SDK OK\n$/);
});

test.serial("a Python Worker executes instances the TypeScript Client scheduled", async (t) => {
  await using s = await startTestServer();
  await s.scheduler.putTask({
    task: { name: "ts-to-py", dynamic: true, partitionCount: 8, defaultArgs: { from: "ts" } },
  });
  const due = timestampFromMs(Date.now() - 1_000);
  await s.scheduler.schedule({
    task: "ts-to-py",
    instances: Array.from({ length: 12 }, (_, i) => ({
      name: `item-${i}`,
      schedule: { kind: { case: "at" as const, value: due } },
      args: { n: i },
    })),
  });
  const worker = new PythonProcess(join(process.cwd(), "test/python/sdk_worker.py"), [
    s.address,
    "ts-to-py",
    "12",
  ]);
  t.teardown(() => worker.kill());
  t.is(await worker.exited, 0, worker.errors);
  t.true(absolutePackage(worker.lines.join("\n")).startsWith(installed));
  const runs = executions(worker.lines);
  t.deepEqual(runs.map((r) => r.name).sort(), Array.from({ length: 12 }, (_, i) => `item-${i}`).sort());
  t.deepEqual(runs.find((r) => r.name === "item-7")?.args, { from: "ts", n: 7 });
  t.deepEqual(
    (await s.scheduler.listInstances({ task: "ts-to-py" })).instances,
    [],
    "every one-off was acked",
  );
});

test.serial("a Python Worker opens its stream to the replica the partition map names", async (t) => {
  // Two servers on one store; the one the worker is pointed at advertises the other in its map.
  const storeUrl = testStoreUrl();
  await using replica = await startTestServer({ storeUrl });
  await using front = await startTestServer({ storeUrl, config: { advertise: replica.address } });
  await front.scheduler.putTask({ task: { name: "mapped", dynamic: true, partitionCount: 4 } });
  const due = timestampFromMs(Date.now() - 1_000);
  await front.scheduler.schedule({
    task: "mapped",
    instances: Array.from({ length: 4 }, (_, i) => ({
      name: `item-${i}`,
      schedule: { kind: { case: "at" as const, value: due } },
    })),
  });
  const worker = new PythonProcess(join(process.cwd(), "test/python/sdk_worker.py"), [
    front.address,
    "mapped",
    "4",
  ]);
  t.teardown(() => worker.kill());
  t.is(await worker.exited, 0, worker.errors);
  const done = JSON.parse(worker.lines.find((line) => line.startsWith("DONE "))?.slice(5) ?? "{}") as {
    addresses?: string[];
  };
  t.deepEqual(done.addresses, [replica.address]);
  t.is(new Set(executions(worker.lines).map((r) => r.name)).size, 4);
});

test.serial("a Python Worker loses no execution when the server restarts mid-run", async (t) => {
  const storeUrl = testStoreUrl();
  const first = await startTestServer({ storeUrl });
  const address = first.address;
  const task = "py-restart";
  const count = 40;
  await first.scheduler.putTask({
    task: { name: task, dynamic: true, partitionCount: 4, leaseDuration: { seconds: 3n } },
  });
  // Due over the next few seconds, so that some fall due while the server is away.
  const start = Date.now();
  await first.scheduler.schedule({
    task,
    instances: Array.from({ length: count }, (_, i) => ({
      name: `item-${i}`,
      schedule: { kind: { case: "at" as const, value: timestampFromMs(start + i * 100) } },
      args: { n: i },
    })),
  });
  const worker = new PythonProcess(join(process.cwd(), "test/python/sdk_worker.py"), [
    address,
    task,
    String(count),
    "0.05",
  ]);
  t.teardown(() => worker.kill());
  await worker.until((lines) => executions(lines).length >= 10);
  await first.stop();
  const executedBefore = new Set(executions(worker.lines).map((r) => r.name)).size;
  await new Promise((resolve) => setTimeout(resolve, 300));
  await using second = await startTestServer({ storeUrl, config: { listen: address } });
  t.is(await worker.exited, 0, `${worker.lines.join("\n")}\n${worker.errors}`);

  const runs = executions(worker.lines);
  const names = new Set(runs.map((r) => r.name));
  t.is(names.size, count, "every instance executed");
  t.true(executedBefore < count, "the restart happened mid-run");
  // A slot runs again only when the server delivers it again (its lease expired or was
  // released), which bumps its attempt; only executions in flight at the restart qualify.
  const repeats = runs.filter((r, i) => runs.findIndex((o) => o.name === r.name) !== i);
  t.true(
    repeats.every((r) => r.attempt > 1),
    `repeats are redeliveries: ${JSON.stringify(repeats)}`,
  );
  t.true(repeats.length <= 4, `at most max_in_flight repeats (${repeats.length})`);
  t.log(`executed ${runs.length} for ${count} instances; ${executedBefore} before the restart`);
  t.deepEqual((await second.scheduler.listInstances({ task })).instances, [], "every one-off was acked");
});

test.serial("the README's Python examples run", async (t) => {
  await using s = await startTestServer();
  const env = { PARTITURA_ADDRESS: s.address };
  const schedule = await runPython(join(process.cwd(), "sdk/python/examples/schedule.py"), [], env);
  t.regex(schedule, /^daily-ada partition \d+ next \S+Z$/m);
  t.regex(schedule, /^hourly-sync partition \d+ next /m);
  t.regex(schedule, /^one-off partition \d+ next /m);
  t.regex(schedule, /^refused: INVALID_ARGUMENT .*instances\[0\]\.schedule\.cron/m);
  const worker = await runPython(join(process.cwd(), "sdk/python/examples/worker.py"), [], env);
  for (const n of [0, 1, 2])
    t.regex(worker, new RegExp(`^sending to user${n}@example.com \\(attempt 1\\)$`, "m"));
  t.regex(worker, /^sent 3 emails$/m);
  t.deepEqual((await s.scheduler.listInstances({ task: "emails" })).instances, []);
  const retries = await runPython(join(process.cwd(), "sdk/python/examples/retries.py"), [], env);
  t.deepEqual(retries.trim().split("\n"), [
    "attempt 1 fails",
    "attempt 2 fails",
    "attempt 3 fails",
    "dead letter feed-42: retries exhausted after 3 attempts: feed unreachable",
    "requeue: ['done']",
    "attempt 1 succeeds",
  ]);
  const secure = await runPython(join(process.cwd(), "sdk/python/examples/secure.py"), []);
  t.regex(secure, /metadata sent on every call: \['authorization'\]/);
});

test.serial(
  "the Python trigger example runs an hourly instance now and backfills its last 3 hours",
  async (t) => {
    await using s = await startTestServer();
    const started = Date.now();
    const out = await runPython(join(process.cwd(), "sdk/python/examples/trigger.py"), [], {
      PARTITURA_ADDRESS: s.address,
    });
    const lines = out.trim().split("\n");
    t.is(lines[0], "trigger: ['accepted', 'not_found']");
    t.regex(lines[1] ?? "", /^sales runs for \d\d:\d\d \(triggered\)$/);
    t.deepEqual(lines.slice(2, 5), [
      "same request id again: ['duplicate']",
      "next slot unchanged: True",
      "backfill: ['accepted'] [3] slots",
    ]);
    const hour = 3_600_000;
    const last = Math.floor(started / hour) * hour;
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    t.deepEqual(
      lines.slice(5),
      [
        ...[last - 2 * hour, last - hour, last].map((slot) => `sales runs for ${hhmm(slot)} (backfill)`),
        "next slot unchanged: True",
      ],
      "the last 3 hourly slots, oldest first, and the next slot where it was",
    );
  },
);

/*
 * Must-show 2 for the Python Worker: the scenarios of test/support/worker-faults.ts, which the
 * TypeScript Worker runs too (test/sdk-worker-faults.test.ts); sdk_ledger_worker.py prints a
 * line as each handler starts and ends, and that is the ledger.
 */
const startPythonWorker: StartWorker = async (address, task) => {
  const worker = new PythonProcess(join(process.cwd(), "test/python/sdk_ledger_worker.py"), [
    address,
    task,
    String(MAX_IN_FLIGHT),
    String(HOLD_MS / 1000),
  ]);
  await worker.until((lines) => lines.some((line) => line.startsWith("package: ")));
  const events = (kind: string) =>
    worker.lines
      .filter((line) => line.startsWith(`${kind} `))
      .map((line) => JSON.parse(line.slice(kind.length + 1)));
  let stopping: Promise<void> | undefined;
  return {
    get ledger(): LedgerEntry[] {
      return events("start") as LedgerEntry[];
    },
    inFlight: () => events("start").length - events("end").length,
    stop: () => {
      stopping ??= (async () => {
        worker.endInput();
        const code = await worker.exited;
        if (code !== 0) throw new Error(`the Python worker exited ${code}: ${worker.errors}`);
      })();
      return stopping;
    },
  };
};

test.serial("the Python Worker: a stream cut loses and repeats nothing", (t) =>
  streamCut(t, startPythonWorker, "py-cut"),
);

test.serial("the Python Worker: a server SIGKILLed and restarted loses nothing", (t) =>
  serverRestart(t, startPythonWorker, "py-kill-restart"),
);

test.serial(
  "the Python Worker: partitions moving (a replica joins, one leaves) lose and repeat nothing",
  (t) => partitionMove(t, startPythonWorker, "py-move"),
);
test.serial("the installed Python Client previews a schedule and a jittered instance", async (t) => {
  await using s = await startTestServer();
  const stdout = await runPython(join(process.cwd(), "test/python/sdk_preview.py"), [s.address]);
  t.regex(stdout, /ok: the spring-forward slot is marked moved/);
  t.regex(stdout, /ok: the first previewed delivery is when the instance is held until/);
  t.regex(stdout, /PYTHON SDK PREVIEW OK\n$/);
});
