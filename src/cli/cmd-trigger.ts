import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import type { ManualRunOutcomeName } from "../sdk/manual-runs.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const TRIGGER_HELP = `partitura trigger TASK NAME... [--request-id ID] [--partition-key KEY]
  Runs instances once now, outside their schedule (reason triggered); their next slot stays.
partitura backfill TASK NAME... --from ISO --to ISO [--request-id ID] [--partition-key KEY]
  Runs the slots of each instance's schedule after --from and at or before --to (not in the
  future), oldest first and one at a time (reason backfill); at most 1000 slots an instance.
  Both print each name's outcome: accepted, queued (runs after the execution in flight),
  duplicate (this request id ran already), busy (another trigger or backfill is not done),
  not_active (paused or dead-lettered), not_found, and for backfill no_slots and the slots it
  runs, then the request id: send it again with --request-id and nothing runs twice.
  --key is short for --partition-key. Exits 5 (NOT_FOUND) when a name was not found.`;

/** `partitura trigger|backfill`: one TriggerInstances or BackfillInstances call; returns the exit code. */
export async function trigger(command: "trigger" | "backfill", args: string[]): Promise<number> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        "request-id": { type: "string" },
        "partition-key": { type: "string" },
        key: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${TRIGGER_HELP}\n`);
    return 0;
  }
  const [task, ...names] = positionals;
  if (task === undefined) throw new UsageError(`${command}: TASK is required`);
  if (names.length === 0) throw new UsageError(`${command}: NAME is required`);
  if (values.key !== undefined && values["partition-key"] !== undefined) {
    throw new UsageError("--key, --partition-key: give one, not both");
  }
  const range = command === "backfill" ? rangeOf(values.from, values.to) : undefined;
  if (command === "trigger" && (values.from !== undefined || values.to !== undefined)) {
    throw new UsageError(`${values.from !== undefined ? "--from" : "--to"}: is a backfill flag`);
  }
  const format = outputOf(values.output);
  const options = {
    ...(values["request-id"] === undefined ? {} : { requestId: values["request-id"] }),
    partitionKey: values["partition-key"] ?? values.key ?? "",
  };
  const client = clientOf(values);
  try {
    const result: { requestId: string; outcomes: ManualRunOutcomeName[]; slots?: number[] } =
      range === undefined
        ? await client.trigger(task, names, options)
        : await client.backfill(task, names, { ...options, ...range });
    const { slots } = result;
    const records = names.map((name, i) => ({
      name,
      outcome: result.outcomes[i] ?? "",
      ...(slots === undefined ? {} : { slots: slots[i] ?? 0 }),
      requestId: result.requestId,
    }));
    print(format, records, () =>
      names.map((name, i) => ({
        name,
        outcome: result.outcomes[i] ?? "",
        ...(slots === undefined ? {} : { slots: String(slots[i] ?? 0) }),
      })),
    );
    if (format === "table") process.stdout.write(`request id ${result.requestId}\n`);
    return result.outcomes.includes("not_found") ? grpc.status.NOT_FOUND : 0;
  } finally {
    client.close();
  }
}

/** The backfill range from --from and --to: both required, ISO-8601 instants. */
function rangeOf(from: string | undefined, to: string | undefined): { start: number; end: number } {
  return { start: instantOf("--from", from), end: instantOf("--to", to) };
}

function instantOf(flag: string, text: string | undefined): number {
  if (text === undefined) throw new UsageError(`${flag}: required by backfill`);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${text}" is not an ISO-8601 instant`);
  return ms;
}
