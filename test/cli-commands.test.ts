import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * The `partitura` command as a user runs it: a child process against a real server, with the
 * golden output of --output json for each command, exit codes that follow the gRPC status,
 * one-line errors naming the field, and --help everywhere.
 */

test("task put/get/list/delete print the stored task; a missing one exits 5 (NOT_FOUND)", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  const mail = {
    name: "mail",
    dynamic: true,
    partitionCount: 4,
    executionMode: "EXECUTION_MODE_AT_LEAST_ONCE",
    failureMode: "FAILURE_MODE_NONE",
    leaseDuration: "30s",
    misfirePolicy: "MISFIRE_POLICY_CATCH_UP",
    misfireGrace: "1s",
    enabled: true,
    historyLimit: 10,
  };
  const put = await cli(
    ["task", "put", "mail", "--dynamic", "--partitions", "4", "--lease-ms", "30000", "-o", "json"],
    {
      address,
    },
  );
  t.is(put.code, 0, put.stderr);
  t.deepEqual(golden(put.stdout), [mail]);
  t.deepEqual(golden((await cli(["task", "get", "mail", "--output", "json"], { address })).stdout), [mail]);
  t.deepEqual(golden((await cli(["task", "list", "--output", "json"], { address })).stdout), [mail]);
  const table = await cli(["task", "list"], { address });
  t.is(table.stdout, "NAME  KIND     PARTITIONS  SCHEDULE  RETRIES\nmail  dynamic  4\n");
  const deleted = await cli(["task", "delete", "mail", "-o", "json"], { address });
  t.is(deleted.code, 0, deleted.stderr);
  t.deepEqual(golden(deleted.stdout), [{ deleted: "mail" }]);
  const missing = await cli(["task", "get", "mail"], { address });
  t.is(missing.code, 5);
  t.is(missing.stdout, "");
  t.regex(missing.stderr, /^partitura: NOT_FOUND: [^\n]*mail[^\n]*\n$/);
});

test("schedule, get, list, unschedule and partitions print golden JSON", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true, partitionCount: 4 } });
  const a = {
    task: "mail",
    name: "a",
    partition: 2,
    schedule: { at: "2030-01-01T00:00:00Z" },
    nextRunAt: "2030-01-01T00:00:00Z",
    createdAt: "<time>",
    state: "INSTANCE_STATE_ACTIVE",
  };
  const scheduled = await cli(["schedule", "mail", "a", "--at", "2030-01-01T00:00:00Z", "-o", "json"], {
    address,
  });
  t.is(scheduled.code, 0, scheduled.stderr);
  t.deepEqual(golden(scheduled.stdout), [a]);
  const cron = await cli(
    [
      "schedule",
      "mail",
      "b",
      "--cron",
      "0 9 * * *",
      "--tz",
      "Europe/Berlin",
      "--args",
      '{"to":"ada"}',
      "-o",
      "json",
    ],
    { address },
  );
  t.is(cron.code, 0, cron.stderr);
  const got = await cli(["get", "mail", "b", "-o", "json"], { address });
  const [b] = golden(got.stdout) as [{ nextRunAt: string }];
  t.like(b, { name: "b", schedule: { cron: "0 9 * * *", timezone: "Europe/Berlin" }, args: { to: "ada" } });
  t.is(new Date(b.nextRunAt).toLocaleTimeString("en-GB", { timeZone: "Europe/Berlin" }), "09:00:00");
  // GetInstance adds the next slots (a one-off has one) to what Schedule echoed.
  t.deepEqual(golden((await cli(["get", "mail", "a", "-o", "json"], { address })).stdout), [
    { ...a, nextSlots: ["2030-01-01T00:00:00Z"] },
  ]);
  const listed = golden((await cli(["list", "mail", "-o", "json"], { address })).stdout) as {
    name: string;
  }[];
  t.deepEqual(listed.map((i) => i.name).sort(), ["a", "b"]);
  const jsonl = await cli(["list", "mail", "--partition", "2", "-o", "jsonl"], { address });
  t.deepEqual(golden(jsonl.stdout.split("\n")[0] ?? ""), a);
  t.deepEqual(golden((await cli(["partitions", "mail", "-o", "json"], { address })).stdout), [
    { address, partitions: [0, 1, 2, 3] },
  ]);
  const removed = await cli(["unschedule", "mail", "a", "b", "gone", "-o", "json"], { address });
  t.deepEqual(golden(removed.stdout), [{ removed: 2 }]);
  t.deepEqual(golden((await cli(["list", "mail", "-o", "json"], { address })).stdout), []);
});

test("a refusal exits with the gRPC code and says in one line which field broke which rule", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true } });
  const badCron = await cli(["schedule", "mail", "x", "--cron", "61 * * * *"], { address });
  t.is(badCron.code, 3, "INVALID_ARGUMENT");
  t.regex(badCron.stderr, /^partitura: INVALID_ARGUMENT: instances\[0\]\.schedule\.cron: [^\n]+\n$/);
  const noTask = await cli(["schedule", "nope", "x", "--every", "1000"], { address });
  t.is(noTask.code, 5, "NOT_FOUND");
  t.is(noTask.stderr.split("\n").length, 2, "one line");
  const noInstance = await cli(["get", "mail", "nope"], { address });
  t.is(noInstance.code, 5);
  t.regex(noInstance.stderr, /^partitura: NOT_FOUND: name: [^\n]*nope[^\n]*\n$/);
  const down = await cli(["task", "list"], { address: "127.0.0.1:1" });
  t.is(down.code, 14, "UNAVAILABLE when nothing listens");
});

test("usage errors exit 2 with one line naming the flag; nothing is sent", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true } });
  const cases: [string[], RegExp][] = [
    [["schedule", "mail", "x", "--at", "tomorrow"], /--at: "tomorrow" is not an ISO-8601 instant/],
    [["schedule", "mail", "x", "--every", "0"], /--every: must be a number of milliseconds/],
    [["schedule", "mail", "x", "--args", "[1]"], /--args: must be a JSON object/],
    [
      ["schedule", "mail", "x", "--cron", "* * * * *", "--every", "5"],
      /--cron, --every, --at: give at most one/,
    ],
    [["schedule", "mail"], /schedule: NAME is required/],
    [["list", "mail", "--partition=-1"], /--partition: must be a whole number/],
    [["list", "mail", "--partition", "-1"], /--partition/],
    [["task", "put", "t", "--partitions", "x"], /--partitions: must be a whole number/],
    [["task", "list", "--output", "yaml"], /--output: must be table, json or jsonl/],
    [["task", "list", "--bogus"], /bogus/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["next", "--cron", "* * * * *", "--count", "0"], /--count: must be an integer/],
    [["next", "--cron", "61 * * * *"], /--cron: /],
    [["tail"], /tail: TASK is required/],
    [["tail", "mail", "--ack", "--fail"], /--ack, --fail: give at most one/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args, { address })));
  results.forEach((result, i) => {
    const [args, message] = cases[i] ?? [[], /./];
    t.is(result.code, 2, args.join(" "));
    t.regex(result.stderr, message, args.join(" "));
    t.is(result.stderr.trimEnd().split("\n").length, 1, `${args.join(" ")}: one line`);
  });
  const { instances } = await s.scheduler.listInstances({ task: "mail" });
  t.deepEqual(instances, []);
});

test("--help on every command prints its usage and exits 0", async (t) => {
  const commands = [
    [],
    ["task"],
    ["task", "put"],
    ["schedule"],
    ["unschedule"],
    ["get"],
    ["list"],
    ["partitions"],
    ["pause"],
    ["resume"],
    ["tail"],
    ["next"],
    ["serve"],
  ];
  const results = await Promise.all(commands.map((c) => cli([...c, "--help"])));
  results.forEach((result, i) => {
    const name = (commands[i] ?? []).join(" ") || "partitura";
    t.is(result.code, 0, name);
    t.regex(result.stdout, /partitura/, name);
  });
  t.regex(results[3]?.stdout ?? "", /--file F\.csv\|F\.jsonl/);
  t.regex(results[10]?.stdout ?? "", /--ack/);
  t.regex(results[12]?.stdout ?? "", /PARTITURA_STORE/);
  t.regex(results[8]?.stdout ?? "", /--note TEXT/);
  t.regex(results[9]?.stdout ?? "", /--skip-missed/);
});

test("next --json prints the slots of a DST day from the engine's own schedule code", async (t) => {
  const result = await cli([
    "next",
    "--cron",
    "30 2 * * *",
    "--tz",
    "Europe/Berlin",
    "--from",
    "2026-03-28T12:00:00Z",
    "--count",
    "3",
    "--json",
  ]);
  t.is(result.code, 0, result.stderr);
  // 29 March 2026 has no 02:30 in Berlin: RFC 5545 reads it with the offset before the gap (+01:00).
  t.deepEqual(JSON.parse(result.stdout), [
    "2026-03-29T01:30:00.000Z",
    "2026-03-30T00:30:00.000Z",
    "2026-03-31T00:30:00.000Z",
  ]);
});
