import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { startTestServer } from "./support/server.ts";

/*
 * `partitura pause` and `partitura resume` as a user runs them: a child process against a
 * real server, golden --output json, the table, and one-line errors with the gRPC exit code.
 */

test("pause and resume print each name's outcome; get shows the state and the note", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true, partitionCount: 4 } });
  await s.scheduler.schedule({
    task: "mail",
    instances: [{ name: "a", schedule: { kind: { case: "cron", value: "0 9 * * *" } } }],
  });

  const paused = await cli(["pause", "mail", "a", "nobody", "--note", "ops: disk full (ada)", "-o", "json"], {
    address,
  });
  t.is(paused.code, 0, paused.stderr);
  t.deepEqual(golden(paused.stdout), [
    { name: "a", outcome: "paused" },
    { name: "nobody", outcome: "not_found" },
  ]);
  const got = golden((await cli(["get", "mail", "a", "-o", "json"], { address })).stdout) as [
    { state: string; pauseNote: string; pausedAt: string },
  ];
  t.like(got[0], { state: "INSTANCE_STATE_PAUSED", pauseNote: "ops: disk full (ada)" });
  t.false(Number.isNaN(Date.parse(got[0].pausedAt)), "pausedAt is a time");
  const table = await cli(["list", "mail"], { address });
  t.regex(table.stdout, /^NAME +PARTITION +STATE +NEXT/);
  t.regex(table.stdout, /\na +\d +paused +20/);

  const again = await cli(["pause", "mail", "a"], { address });
  t.is(again.stdout, "NAME  OUTCOME\na     already_paused\n");

  const resumed = await cli(["resume", "mail", "a", "--skip-missed", "-o", "jsonl"], { address });
  t.is(resumed.code, 0, resumed.stderr);
  t.deepEqual(golden(resumed.stdout), { name: "a", outcome: "resumed" });
  t.deepEqual(golden((await cli(["resume", "mail", "a", "-o", "json"], { address })).stdout), [
    { name: "a", outcome: "not_paused" },
  ]);
  const state = await s.scheduler.getInstance({ task: "mail", name: "a" });
  t.is(state.instance?.pauseNote, "", "a resume clears the note");
});

test("pause and resume refuse bad use in one line: usage exits 2, a server refusal its gRPC code", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  await s.scheduler.putTask({ task: { name: "mail", dynamic: true } });
  const usage: [string[], RegExp][] = [
    [["pause"], /pause: TASK is required/],
    [["pause", "mail"], /pause: NAME is required/],
    [["resume", "mail"], /resume: NAME is required/],
    [["pause", "mail", "a", "--skip-missed"], /--skip-missed: is a resume flag/],
    [["resume", "mail", "a", "--note", "x"], /--note: is a pause flag/],
  ];
  const results = await Promise.all(usage.map(([args]) => cli(args, { address })));
  results.forEach((result, i) => {
    const [args, message] = usage[i] ?? [[], /./];
    t.is(result.code, 2, args.join(" "));
    t.regex(result.stderr, message, args.join(" "));
  });
  const long = await cli(["pause", "mail", "a", "--note", "x".repeat(501)], { address });
  t.is(long.code, 3, "INVALID_ARGUMENT");
  t.regex(long.stderr, /^partitura: INVALID_ARGUMENT: note: must be at most 500 bytes[^\n]*\n$/);
  const noTask = await cli(["resume", "nope", "a"], { address });
  t.is(noTask.code, 5, "NOT_FOUND");
  t.regex(noTask.stderr, /^partitura: NOT_FOUND: task: [^\n]*nope[^\n]*\n$/);
});
