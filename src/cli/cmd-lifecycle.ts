import { parseArgs } from "node:util";
import { PauseOutcome, ResumeOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const LIFECYCLE_HELP = `partitura pause TASK NAME... [--note TEXT] [--partition-key KEY]
  Pauses instances: never delivered until resumed (one running finishes). The note (who and
  why, at most 500 bytes) is kept and shown by get and list. Prints each name's outcome:
  paused, already_paused (the first pause and note stay) or not_found.
partitura resume TASK NAME... [--skip-missed] [--partition-key KEY]
  Resumes paused instances: the task's misfire policy decides about the slots they missed
  (catch_up runs each); --skip-missed continues at the first slot after now instead.
  Prints each name's outcome: resumed, not_paused or not_found.
partitura pause TASK --partition N [--note TEXT]
partitura resume TASK --partition N [--skip-missed]
  Every active (paused) instance of partition N instead of named ones; prints how many
  changed. A whole task stops with PutTask enabled = false (the console's Disable).`;

const PAUSED: Record<PauseOutcome, string> = {
  [PauseOutcome.UNSPECIFIED]: "unspecified",
  [PauseOutcome.PAUSED]: "paused",
  [PauseOutcome.ALREADY_PAUSED]: "already_paused",
  [PauseOutcome.NOT_FOUND]: "not_found",
};

const RESUMED: Record<ResumeOutcome, string> = {
  [ResumeOutcome.UNSPECIFIED]: "unspecified",
  [ResumeOutcome.RESUMED]: "resumed",
  [ResumeOutcome.NOT_PAUSED]: "not_paused",
  [ResumeOutcome.NOT_FOUND]: "not_found",
};

/** `partitura pause|resume`: one PauseInstances or ResumeInstances call for the named instances. */
export async function lifecycle(command: "pause" | "resume", args: string[]): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        note: { type: "string" },
        "skip-missed": { type: "boolean" },
        "partition-key": { type: "string" },
        partition: { type: "string" },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${LIFECYCLE_HELP}\n`);
    return;
  }
  const [task, ...names] = positionals;
  if (task === undefined) throw new UsageError(`${command}: TASK is required`);
  const partition = values.partition === undefined ? undefined : partitionOf(values.partition);
  if (partition !== undefined && names.length > 0) {
    throw new UsageError(`${command}: give NAMEs or --partition, not both`);
  }
  if (partition === undefined && names.length === 0) throw new UsageError(`${command}: NAME is required`);
  if (command === "pause" && values["skip-missed"] !== undefined) {
    throw new UsageError("--skip-missed: is a resume flag");
  }
  if (command === "resume" && values.note !== undefined) throw new UsageError("--note: is a pause flag");
  const format = outputOf(values.output);
  const partitionKey = values["partition-key"] ?? "";
  const client = clientOf(values);
  try {
    if (partition !== undefined) {
      const changed =
        command === "pause"
          ? (await client.pauseInstances({ task, partition, note: values.note ?? "" })).changed
          : (await client.resumeInstances({ task, partition, skipMissed: values["skip-missed"] === true }))
              .changed;
      const rows = [
        { partition: String(partition), [command === "pause" ? "paused" : "resumed"]: String(changed) },
      ];
      print(format, rows, () => rows);
      return;
    }
    const outcomes =
      command === "pause"
        ? (await client.pauseInstances({ task, names, note: values.note ?? "", partitionKey })).outcomes.map(
            (o) => PAUSED[o] ?? String(o),
          )
        : (
            await client.resumeInstances({
              task,
              names,
              skipMissed: values["skip-missed"] === true,
              partitionKey,
            })
          ).outcomes.map((o) => RESUMED[o] ?? String(o));
    const rows = names.map((name, i) => ({ name, outcome: outcomes[i] ?? "" }));
    print(format, rows, () => rows);
  } finally {
    client.close();
  }
}

/** --partition N: a partition number. */
function partitionOf(text: string): number {
  const partition = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(partition)) {
    throw new UsageError(`--partition: must be a partition number, got ${JSON.stringify(text)}`);
  }
  return partition;
}
