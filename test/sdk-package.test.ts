import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { startTestServer } from "./support/server.ts";

/*
 * The TypeScript SDK as a user gets it: `npm pack` (prepack builds dist/), the tarball installed
 * into a fresh project outside the checkout, then plain `node` (no tsx) runs examples/worker.mjs
 * against instances the Python Client (installed offline as the README says) scheduled, and tsc
 * resolves the package's types. Install scripts are skipped: the SDK needs none (they build the
 * server's native SQLite binding and esbuild for tsx), which also keeps this test quick.
 */
const run = promisify(execFile);
const checkout = resolve(".");
const home = mkdtempSync(join(tmpdir(), "partitura-package-"));
const project = join(home, "project");
const python = join(home, "v", "bin", "python");

async function sh(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const { stdout } = await run(command, args, {
    cwd,
    env: { ...process.env, ...env },
    timeout: 120_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `${command} ${args.join(" ")}: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`,
    );
  });
  return stdout;
}

test.before("pack and install the package; install the Python SDK into a venv", async () => {
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  const started = Date.now();
  const pack = (async () => {
    await sh("npm", ["pack", "--silent", "--pack-destination", home], checkout);
    const tarball = readdirSync(home).find((f) => f.endsWith(".tgz"));
    if (tarball === undefined) throw new Error("npm pack made no tarball");
    await sh(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--omit=optional",
        "--ignore-scripts",
        join(home, tarball),
      ],
      project,
    );
  })();
  const venv = (async () => {
    cpSync("sdk/python", join(home, "sdk", "python"), {
      recursive: true,
      filter: (path) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(path),
    });
    await sh(
      "bash",
      [
        "-c",
        "/usr/bin/python3 -m venv --system-site-packages v && v/bin/pip install --no-build-isolation --no-deps ./sdk/python",
      ],
      home,
      { PIP_NO_INDEX: "1" },
    );
  })();
  await Promise.all([pack, venv]);
  console.log(`pack + install + venv: ${Date.now() - started} ms`);
});
test.after.always(() => rmSync(home, { recursive: true, force: true }));

test("the packed Worker, run by plain node, executes what the Python Client scheduled", async (t) => {
  await using s = await startTestServer();
  cpSync("examples/worker.mjs", join(project, "worker.mjs"));
  cpSync("examples/schedule-emails.py", join(home, "schedule-emails.py"));
  const env = { PARTITURA_ADDRESS: s.address, PYTHONPATH: "" };
  t.is(await sh(python, [join(home, "schedule-emails.py")], home, env), "scheduled 3\n");
  const out = await sh(process.execPath, ["worker.mjs"], project, { ...env, COUNT: "3", NODE_OPTIONS: "" });
  const lines = out.trim().split("\n");
  t.is(lines[0], "task emails has 4 partitions");
  t.deepEqual(lines.slice(1).sort(), [
    "sending welcome-ada to ada@example.com",
    "sending welcome-bob to bob@example.com",
    "sending welcome-cy to cy@example.com",
  ]);
  const { instances } = await s.scheduler.listInstances({ task: "emails" });
  t.deepEqual(instances, [], "every one-off was acked");
});

test("the packed SDK, run by plain node, retries a failing slot into the dead-letter list and requeues it", async (t) => {
  await using s = await startTestServer();
  cpSync("examples/retries.mjs", join(project, "retries.mjs"));
  const out = await sh(process.execPath, ["retries.mjs"], project, {
    PARTITURA_ADDRESS: s.address,
    NODE_OPTIONS: "",
  });
  t.deepEqual(out.trim().split("\n"), [
    "attempt 1 of feed-42 fails",
    "attempt 2 of feed-42 fails",
    "attempt 3 of feed-42 fails",
    "dead letter feed-42: retries exhausted after 3 attempts: feed unreachable",
    "requeue: DONE",
    "attempt 1 of feed-42 succeeds",
  ]);
  const { instances } = await s.scheduler.listInstances({ task: "imports" });
  t.deepEqual(instances, [], "the requeued one-off ran and was removed");
});

test("the packed SDK, run by plain node, triggers an hourly instance and backfills its last 3 hours", async (t) => {
  await using s = await startTestServer();
  cpSync("examples/trigger.mjs", join(project, "trigger.mjs"));
  const started = Date.now();
  const out = await sh(process.execPath, ["trigger.mjs"], project, {
    PARTITURA_ADDRESS: s.address,
    NODE_OPTIONS: "",
  });
  const lines = out.trim().split("\n");
  t.deepEqual(lines.slice(0, 5), [
    "trigger: accepted, not_found",
    "sales runs (TRIGGERED)",
    "same request id again: duplicate",
    "next slot unchanged: true",
    "backfill: accepted (3 slots)",
  ]);
  const slots = lines.slice(5, 8).map((line) => {
    const match = /^sales runs for (\S+) \(BACKFILL\)$/.exec(line);
    return match?.[1] === undefined ? Number.NaN : Date.parse(match[1]);
  });
  const hour = 3_600_000;
  const last = Math.floor(started / hour) * hour;
  t.deepEqual(slots, [last - 2 * hour, last - hour, last], "the last 3 hourly slots, oldest first");
  t.deepEqual(lines.slice(8), ["next slot unchanged: true"]);
});

test("tsc resolves the package's types (exports map, types first) for a .ts file importing it", async (t) => {
  // @types/node comes with the package's dependencies (protobufjs); linked from the checkout if not.
  const types = join(project, "node_modules", "@types");
  mkdirSync(types, { recursive: true });
  if (!existsSync(join(types, "node")))
    symlinkSync(join(checkout, "node_modules", "@types", "node"), join(types, "node"));
  cpSync("examples/types-check.ts", join(project, "check.ts"));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2023", "ESNext.Disposable"],
        types: ["node"],
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
      },
      files: ["check.ts"],
    }),
  );
  await sh(join(checkout, "node_modules", ".bin", "tsc"), ["-p", "."], project);
  // And a wrong use is caught, so the check above cannot pass by resolving everything to any.
  writeFileSync(
    join(project, "check.ts"),
    'import { Worker } from "partitura/worker";\nnew Worker({ task: 1 });\n',
  );
  const failed = await sh(join(checkout, "node_modules", ".bin", "tsc"), ["-p", "."], project).catch(
    (e: Error) => e.message,
  );
  t.regex(failed, /error TS2/);
});
