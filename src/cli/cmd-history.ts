import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { type Run, RunOutcome, RunSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { reasonName } from "./reason-names.ts";
import { isoOf, msOf } from "./timestamps.ts";
import { UsageError } from "./usage-error.ts";

export const HISTORY_HELP = `partitura history TASK NAME [--partition-key KEY]
  The instance's recent runs, newest first (at most the task's history_limit): slot, when it
  was delivered, how long it took, attempt, why it ran, outcome, worker and error.`;

const OUTCOMES: Record<RunOutcome, string> = {
  [RunOutcome.UNSPECIFIED]: "",
  [RunOutcome.SUCCESS]: "success",
  [RunOutcome.FAILURE]: "failure",
};

/** `partitura history`: GetInstance's run history as a table or JSON. */
export async function history(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { ...CONNECTION_FLAGS, "partition-key": { type: "string" } },
    }),
  );
  if (values.help) {
    process.stdout.write(`${HISTORY_HELP}\n`);
    return;
  }
  const [task, name, ...rest] = positionals;
  if (task === undefined || name === undefined) throw new UsageError("history: TASK and NAME are required");
  if (rest.length > 0) throw new UsageError("history: takes one instance");
  const format = outputOf(values.output);
  const client = clientOf(values);
  try {
    const { instance } = await client.getInstance({
      task,
      name,
      partitionKey: values["partition-key"] ?? "",
    });
    const runs: Run[] = instance?.history ?? [];
    print(
      format,
      runs.map((run) => toJson(RunSchema, run)),
      () =>
        runs.map((run) => ({
          slot: isoOf(run.scheduledAt),
          delivered: isoOf(run.deliveredAt),
          took_ms: String(msOf(run.finishedAt) - msOf(run.deliveredAt)),
          attempt: String(run.attempt),
          reason: reasonName(run.reason),
          outcome: OUTCOMES[run.outcome] ?? String(run.outcome),
          worker: run.workerId,
          error: run.error,
        })),
    );
  } finally {
    client.close();
  }
}
