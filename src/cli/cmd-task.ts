import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Task, TaskSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const TASK_HELP = `partitura task put NAME [--dynamic] [--cron EXPR] [--tz ZONE] [--partitions N] [--lease-ms MS]
partitura task get NAME | task list | task delete NAME
  Defines, shows and deletes tasks. Flags: --address, --token, --tls, --tls-ca, --output table|json|jsonl.`;

const taskRow = (task: Task) => ({
  name: task.name,
  kind: task.dynamic ? "dynamic" : "static",
  partitions: String(task.partitionCount),
  schedule: task.schedule?.kind.case === "cron" ? task.schedule.kind.value : "",
});

/** `partitura task put|get|list|delete`. */
export async function task(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        dynamic: { type: "boolean" },
        cron: { type: "string" },
        tz: { type: "string" },
        partitions: { type: "string" },
        "lease-ms": { type: "string" },
      },
    }),
  );
  const [verb, name] = positionals;
  if (values.help || verb === undefined) return void process.stdout.write(`${TASK_HELP}\n`);
  const format = outputOf(values.output);
  const needName = () => {
    if (name === undefined) throw new UsageError(`task ${verb}: NAME is required`);
    return name;
  };
  const count = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag}: must be a whole number`);
    return n;
  };
  {
    const client = clientOf(values);
    try {
      switch (verb) {
        case "put": {
          const partitions = count("partitions", values.partitions);
          const leaseMs = count("lease-ms", values["lease-ms"]);
          const { task: stored } = await client.putTask({
            task: {
              name: needName(),
              dynamic: values.dynamic === true,
              ...(values.cron
                ? { schedule: { kind: { case: "cron", value: values.cron }, timezone: values.tz ?? "" } }
                : {}),
              ...(partitions === undefined ? {} : { partitionCount: partitions }),
              ...(leaseMs === undefined ? {} : { leaseDuration: durationFromMs(leaseMs) }),
            },
          });
          return printTasks(format, stored ? [stored] : []);
        }
        case "get": {
          const { task: found } = await client.getTask({ name: needName() });
          return printTasks(format, found ? [found] : []);
        }
        case "list": {
          const all: Task[] = [];
          for await (const t of client.tasks()) all.push(t);
          return printTasks(format, all);
        }
        case "delete": {
          const deleted = needName();
          await client.deleteTask({ name: deleted });
          return print(format, [{ deleted }], () => [{ deleted }]);
        }
        default:
          throw new UsageError(`task: unknown verb "${verb}" (put, get, list, delete)`);
      }
    } finally {
      client.close();
    }
  }
}

function printTasks(format: ReturnType<typeof outputOf>, tasks: Task[]): void {
  print(
    format,
    tasks.map((t) => toJson(TaskSchema, t)),
    () => tasks.map(taskRow),
  );
}
