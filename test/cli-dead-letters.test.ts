import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { cli, golden } from "./support/cli.ts";
import { Outcome, TestWorker } from "./support/execution-worker.ts";
import { startTestServer } from "./support/server.ts";

/*
 * `partitura task put --max-attempts`, `dead-letters`, `requeue` and `discard` as a user runs
 * them, against a real server whose worker fails every attempt.
 */

test("task put sets a retry policy; dead-letters lists what ran out; requeue and discard bring it back", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  const put = await cli(
    [
      "task",
      "put",
      "imports",
      "--dynamic",
      "--max-attempts",
      "2",
      "--retry-initial-ms",
      "100",
      "--on-exhausted",
      "dead_letter",
      "-o",
      "json",
    ],
    { address },
  );
  t.is(put.code, 0, put.stderr);
  t.like((golden(put.stdout) as [{ retryPolicy: object }])[0].retryPolicy, {
    maxAttempts: 2,
    initialInterval: "0.100s",
    backoffCoefficient: 2,
    onExhausted: "ON_EXHAUSTED_DEAD_LETTER",
  });
  const now = timestampFromMs(Date.now());
  await s.scheduler.schedule({
    task: "imports",
    instances: ["a", "b"].map((name) => ({ name, schedule: { kind: { case: "at" as const, value: now } } })),
  });
  const worker = new TestWorker(s, { task: "imports" });
  for (let n = 0; n < 4; n++) {
    const [execution] = await worker.next(1, 5_000);
    if (execution === undefined) return t.fail("no delivery");
    await s.execution.ack({
      items: [{ leaseId: execution.leaseId, outcome: Outcome.FAILURE, error: "feed down" }],
    });
  }
  worker.close();
  let listed = await cli(["dead-letters", "imports", "-o", "json"], { address });
  for (let tries = 0; tries < 20 && (golden(listed.stdout) as unknown[]).length < 2; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    listed = await cli(["dead-letters", "imports", "-o", "json"], { address });
  }
  const letters = golden(listed.stdout) as { name: string; state: string; pauseNote: string }[];
  t.deepEqual(letters.map((l) => l.name).sort(), ["a", "b"]);
  for (const letter of letters) {
    t.like(letter, {
      state: "INSTANCE_STATE_DEAD_LETTERED",
      pauseNote: "retries exhausted after 2 attempts: feed down",
    });
  }
  const table = await cli(["dead-letters", "imports"], { address });
  t.regex(table.stdout, /^NAME +PARTITION +SLOT +SINCE +ERROR/);
  t.regex(table.stdout, /\na +\d+ +20\S+ +20\S+ +retries exhausted after 2 attempts: feed down/);
  const state = await cli(["list", "imports"], { address });
  t.regex(state.stdout, /\na +\d+ +dead_lettered +20/);

  const runs = golden((await cli(["history", "imports", "a", "-o", "json"], { address })).stdout) as {
    attempt: number;
    reason: string;
    outcome: string;
    error: string;
  }[];
  t.deepEqual(
    runs.map(({ attempt, reason, outcome, error }) => ({ attempt, reason, outcome, error })),
    [
      { attempt: 2, reason: "EXECUTION_REASON_RETRY", outcome: "RUN_OUTCOME_FAILURE", error: "feed down" },
      {
        attempt: 1,
        reason: "EXECUTION_REASON_SCHEDULED",
        outcome: "RUN_OUTCOME_FAILURE",
        error: "feed down",
      },
    ],
    "history: the retry, then the first attempt",
  );
  const runTable = await cli(["history", "imports", "a"], { address });
  t.regex(
    runTable.stdout,
    /^SLOT +DELIVERED +TOOK_MS +ATTEMPT +REASON +OUTCOME +WORKER +ERROR\n20\S+ +20\S+ +\d+ +2 +retry +failure +\S* *feed down\n/,
  );

  const requeued = await cli(["requeue", "imports", "a", "nobody", "-o", "json"], { address });
  t.is(requeued.code, 0, requeued.stderr);
  t.deepEqual(golden(requeued.stdout), [
    { name: "a", outcome: "done" },
    { name: "nobody", outcome: "not_found" },
  ]);
  const discarded = await cli(["discard", "imports", "b", "a"], { address });
  t.is(discarded.stdout, "NAME  OUTCOME\nb     done\na     not_dead_lettered\n");
  const gone = await s.scheduler.listInstances({ task: "imports" });
  t.deepEqual(
    gone.instances.map((i) => i.name),
    ["a"],
    "the discarded one-off is removed; the requeued one waits to run",
  );
});

test("the retry and dead-letter commands refuse bad use in one line", async (t) => {
  await using s = await startTestServer();
  const address = s.address;
  const cases: [string[], RegExp, number][] = [
    [["task", "put", "x", "--backoff", "3"], /--backoff: needs --max-attempts/, 2],
    [
      ["task", "put", "x", "--max-attempts", "3", "--on-exhausted", "retry"],
      /--on-exhausted: must be continue, pause or dead_letter/,
      2,
    ],
    [
      ["task", "put", "x", "--dynamic", "--max-attempts", "0"],
      /INVALID_ARGUMENT: task\.retry_policy\.max_attempts: must be 1 to 100/,
      3,
    ],
    [["requeue", "imports"], /requeue: NAME is required/, 2],
    [["dead-letters"], /dead-letters: TASK is required/, 2],
    [["discard", "nosuch", "a"], /^partitura: NOT_FOUND: task: /, 5],
  ];
  for (const [args, message, code] of cases) {
    const result = await cli(args, { address });
    t.is(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    t.regex(result.stderr, message);
    t.is(result.stderr.trim().split("\n").length, 1, "one line");
  }
});
