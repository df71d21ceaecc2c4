import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { type Instance, InstanceSchema, InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  GetPartitionMapResponseSchema,
  ScheduleMode,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { specOf } from "./instance-spec.ts";
import { print } from "./print.ts";
import { reasonName } from "./reason-names.ts";
import { CSV_COLUMNS, readInstances, scheduleFile } from "./schedule-file.ts";
import { isoOf } from "./timestamps.ts";
import { UsageError } from "./usage-error.ts";

export const INSTANCES_HELP = `partitura schedule TASK NAME (--cron EXPR [--tz ZONE] | --every MS | --at ISO) [--start-at ISO] [--end-at ISO] [--max-runs N] [--args JSON] [--force]
  --start-at and --end-at bound a cron or an interval: no slot before the start, none after
  the end (the instance is removed after its last run). --max-runs N (1 to 100000) ends it
  after N runs: the server stores it as the end_at of the N-th slot, which get then prints.
partitura schedule TASK --file F.csv|F.jsonl [--batch N] [--force]
  Many instances from a file, sent in Schedule calls of --batch (default 1000, at most 10000)
  with a progress bar on a terminal; prints created/updated/locked/failed. CSV: a header row
  naming columns of ${CSV_COLUMNS.join(", ")}. JSONL: one InstanceSpec (proto JSON) a line,
  e.g. what list --output jsonl prints. The whole file is checked before anything is sent.
  --force overwrites and unlocks (SCHEDULE_MODE_FORCE); the default keeps locked instances.
partitura unschedule TASK NAME... | get TASK NAME | list TASK [--partition N] | partitions TASK
  Schedules, removes and shows instances (MANUAL_RUN: triggered or backfill while a trigger or
  backfill of it is queued or running); partitions prints the partition map.`;

const STATE_NAMES: Record<InstanceState, string> = {
  [InstanceState.UNSPECIFIED]: "unspecified",
  [InstanceState.ACTIVE]: "active",
  [InstanceState.PAUSED]: "paused",
  [InstanceState.DEAD_LETTERED]: "dead_lettered",
};

function printInstances(format: ReturnType<typeof outputOf>, instances: Instance[]): void {
  print(
    format,
    instances.map((i) => toJson(InstanceSchema, i)),
    () =>
      instances.map((i) => ({
        name: i.name,
        partition: String(i.partition),
        state: STATE_NAMES[i.state] ?? String(i.state),
        next: isoOf(i.nextRunAt),
        locked: isoOf(i.lockedUntil),
        // "triggered" or "backfill" while a manual run of it is queued or running.
        manual_run: reasonName(i.manualRun),
      })),
  );
}

/**
 * `partitura schedule|unschedule|get|list|partitions`; returns the exit code (schedule --file
 * reports a refused batch in its summary and exits with that batch's gRPC code).
 */
export async function instances(command: string, args: string[]): Promise<number> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        cron: { type: "string" },
        tz: { type: "string" },
        every: { type: "string" },
        at: { type: "string" },
        "start-at": { type: "string" },
        "end-at": { type: "string" },
        "max-runs": { type: "string" },
        args: { type: "string" },
        partition: { type: "string" },
        file: { type: "string" },
        batch: { type: "string" },
        force: { type: "boolean" },
      },
    }),
  );
  if (values.help) {
    process.stdout.write(`${INSTANCES_HELP}\n`);
    return 0;
  }
  const [task, ...names] = positionals;
  if (task === undefined) throw new UsageError(`${command}: TASK is required`);
  const format = outputOf(values.output);
  if (command === "schedule" && values.file !== undefined) {
    if (names.length > 0) throw new UsageError("schedule: give NAME or --file, not both");
    const batch = values.batch === undefined ? 1_000 : Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) {
      throw new UsageError("--batch: must be an integer from 1 to 10000");
    }
    const rows = readInstances(values.file);
    const client = clientOf(values);
    try {
      return await scheduleFile({ client, task, rows, batch, force: values.force === true, format });
    } finally {
      client.close();
    }
  }
  const client = clientOf(values);
  try {
    await run(task);
    return 0;
  } finally {
    client.close();
  }

  async function run(task: string): Promise<void> {
    switch (command) {
      case "schedule": {
        const [name] = names;
        if (name === undefined) throw new UsageError("schedule: NAME is required (or --file F)");
        const response = await client.schedule({
          task,
          instances: [
            {
              name,
              ...specOf(
                {
                  ...values,
                  startAt: values["start-at"],
                  endAt: values["end-at"],
                  maxRuns: values["max-runs"],
                },
                (field) => `--${field.replaceAll("_", "-")}`,
              ),
            },
          ],
          mode: values.force ? ScheduleMode.FORCE : ScheduleMode.SAFE,
        });
        return printInstances(format, response.instances);
      }
      case "unschedule": {
        if (names.length === 0) throw new UsageError("unschedule: NAME is required");
        const { removed } = await client.unschedule({ task, names });
        return print(format, [{ removed }], () => [{ removed: String(removed) }]);
      }
      case "get": {
        const [name] = names;
        if (name === undefined) throw new UsageError("get: NAME is required");
        const { instance } = await client.getInstance({ task, name });
        return printInstances(format, instance ? [instance] : []);
      }
      case "list": {
        const partition = values.partition === undefined ? undefined : Number(values.partition);
        if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
          throw new UsageError("--partition: must be a whole number");
        }
        const all: Instance[] = [];
        for await (const i of client.instances(task, partition === undefined ? {} : { partition }))
          all.push(i);
        return printInstances(format, all);
      }
      default: {
        const map = await client.getPartitionMap({ task });
        const json = toJson(GetPartitionMapResponseSchema, map) as { replicas?: unknown[] };
        return print(format, json.replicas ?? [], () =>
          map.replicas.map((r) => ({ address: r.address, partitions: r.partitions.join(",") })),
        );
      }
    }
  }
}
