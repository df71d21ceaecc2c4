import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { type Instance, InstanceSchema, InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { DeadLetterOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { isoOf } from "./timestamps.ts";
import { UsageError } from "./usage-error.ts";

export const DEAD_LETTERS_HELP = `partitura dead-letters TASK
  Lists the task's dead-letter list: instances whose retry policy ran out under
  ON_EXHAUSTED_DEAD_LETTER, each with its failed slot and the last error.
partitura requeue TASK NAME... [--partition-key KEY]
  Runs dead letters again at the slot that failed, with a fresh retry budget.
partitura discard TASK NAME... [--partition-key KEY]
  Gives the failed slot up: each continues at its first slot after now; a one-off is removed.
  requeue and discard print each name's outcome: done, not_dead_lettered or not_found.`;

const OUTCOMES: Record<DeadLetterOutcome, string> = {
  [DeadLetterOutcome.UNSPECIFIED]: "unspecified",
  [DeadLetterOutcome.DONE]: "done",
  [DeadLetterOutcome.NOT_DEAD_LETTERED]: "not_dead_lettered",
  [DeadLetterOutcome.NOT_FOUND]: "not_found",
};

/** `partitura dead-letters|requeue|discard`. */
export async function deadLetters(
  command: "dead-letters" | "requeue" | "discard",
  args: string[],
): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: { ...CONNECTION_FLAGS, "partition-key": { type: "string" } },
    }),
  );
  if (values.help) {
    process.stdout.write(`${DEAD_LETTERS_HELP}\n`);
    return;
  }
  const [task, ...names] = positionals;
  if (task === undefined) throw new UsageError(`${command}: TASK is required`);
  const format = outputOf(values.output);
  const client = clientOf(values);
  try {
    if (command === "dead-letters") {
      if (names.length > 0) throw new UsageError("dead-letters: takes TASK only");
      const all: Instance[] = [];
      for await (const i of client.instances(task, { state: InstanceState.DEAD_LETTERED })) all.push(i);
      print(
        format,
        all.map((i) => toJson(InstanceSchema, i)),
        () =>
          all.map((i) => ({
            name: i.name,
            partition: String(i.partition),
            slot: isoOf(i.nextRunAt),
            since: isoOf(i.pausedAt),
            error: i.pauseNote,
          })),
      );
      return;
    }
    if (names.length === 0) throw new UsageError(`${command}: NAME is required`);
    const request = { task, names, partitionKey: values["partition-key"] ?? "" };
    const { outcomes } =
      command === "requeue"
        ? await client.requeueDeadLetters(request)
        : await client.discardDeadLetters(request);
    const rows = names.map((name, i) => ({
      name,
      outcome: OUTCOMES[outcomes[i] ?? 0] ?? String(outcomes[i]),
    }));
    print(format, rows, () => rows);
  } finally {
    client.close();
  }
}
