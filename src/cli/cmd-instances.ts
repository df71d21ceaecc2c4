import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Instance, InstanceSchema } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { GetPartitionMapResponseSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const INSTANCES_HELP = `partitura schedule TASK NAME (--cron EXPR [--tz ZONE] | --every MS | --at ISO) [--args JSON]
partitura unschedule TASK NAME... | get TASK NAME | list TASK [--partition N] | partitions TASK
  Schedules, removes and shows instances; partitions prints the partition map.`;

const iso = (t: { seconds: bigint; nanos: number } | undefined) =>
  t ? new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString() : "";

function printInstances(format: ReturnType<typeof outputOf>, instances: Instance[]): void {
  print(
    format,
    instances.map((i) => toJson(InstanceSchema, i)),
    () =>
      instances.map((i) => ({
        name: i.name,
        partition: String(i.partition),
        next: iso(i.nextRunAt),
        locked: iso(i.lockedUntil),
      })),
  );
}

/** `partitura schedule|unschedule|get|list|partitions`. */
export async function instances(command: string, args: string[]): Promise<void> {
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
        args: { type: "string" },
        partition: { type: "string" },
      },
    }),
  );
  if (values.help) return void process.stdout.write(`${INSTANCES_HELP}\n`);
  const [task, ...names] = positionals;
  if (task === undefined) throw new UsageError(`${command}: TASK is required`);
  const format = outputOf(values.output);
  const client = clientOf(values);
  try {
    switch (command) {
      case "schedule": {
        const [name] = names;
        if (name === undefined) throw new UsageError("schedule: NAME is required");
        const response = await client.schedule({
          task,
          instances: [{ name, ...scheduleOf(values), ...argsOf(values.args) }],
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
  } finally {
    client.close();
  }
}

function scheduleOf(values: { cron?: string; tz?: string; every?: string; at?: string }) {
  const given = [values.cron, values.every, values.at].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError("--cron, --every, --at: give at most one");
  if (values.cron !== undefined) {
    return { schedule: { kind: { case: "cron" as const, value: values.cron }, timezone: values.tz ?? "" } };
  }
  if (values.every !== undefined) {
    const ms = Number(values.every);
    if (!Number.isFinite(ms) || ms < 1)
      throw new UsageError("--every: must be a number of milliseconds, at least 1");
    return { schedule: { kind: { case: "interval" as const, value: durationFromMs(ms) } } };
  }
  if (values.at !== undefined) {
    const ms = Date.parse(values.at);
    if (Number.isNaN(ms)) throw new UsageError(`--at: "${values.at}" is not an ISO-8601 instant`);
    return { schedule: { kind: { case: "at" as const, value: timestampFromMs(ms) } } };
  }
  return {};
}

function argsOf(text: string | undefined) {
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError("--args: must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError("--args: must be a JSON object");
  }
  return { args: parsed as Record<string, never> };
}
