import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { OnExhausted, type Task, TaskSchema } from "../../gen/ts/partitura/v1/task_pb.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { print } from "./print.ts";
import { UsageError } from "./usage-error.ts";

export const TASK_HELP = `partitura task put NAME [--dynamic] [--cron EXPR] [--tz ZONE] [--partitions N] [--lease-ms MS]
    [--max-attempts N [--retry-initial-ms MS] [--backoff X] [--retry-max-ms MS] [--retry-jitter-ms MS]
     [--on-exhausted continue|pause|dead_letter]]
partitura task get NAME | task list | task delete NAME
  Defines, shows and deletes tasks. --max-attempts sets a retry policy: a failed slot runs again
  after initial x backoff^(attempt-1) ms (defaults 1000 and 2), then on_exhausted decides.
  Flags: --address, --token, --tls, --tls-ca, --output table|json|jsonl.`;

const ON_EXHAUSTED: Record<string, OnExhausted> = {
  continue: OnExhausted.CONTINUE,
  pause: OnExhausted.PAUSE,
  dead_letter: OnExhausted.DEAD_LETTER,
};

const taskRow = (task: Task) => ({
  name: task.name,
  kind: task.dynamic ? "dynamic" : "static",
  partitions: String(task.partitionCount),
  schedule: task.schedule?.kind.case === "cron" ? task.schedule.kind.value : "",
  retries: task.retryPolicy ? String(task.retryPolicy.maxAttempts) : "",
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
        "max-attempts": { type: "string" },
        "retry-initial-ms": { type: "string" },
        backoff: { type: "string" },
        "retry-max-ms": { type: "string" },
        "retry-jitter-ms": { type: "string" },
        "on-exhausted": { type: "string" },
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
          const retryPolicy = retryPolicyOf(values, count);
          const { task: stored } = await client.putTask({
            task: {
              name: needName(),
              dynamic: values.dynamic === true,
              ...(values.cron
                ? { schedule: { kind: { case: "cron", value: values.cron }, timezone: values.tz ?? "" } }
                : {}),
              ...(partitions === undefined ? {} : { partitionCount: partitions }),
              ...(leaseMs === undefined ? {} : { leaseDuration: durationFromMs(leaseMs) }),
              ...(retryPolicy === undefined ? {} : { retryPolicy }),
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

/** The retry flags as a RetryPolicy; undefined without --max-attempts (the others need it). */
function retryPolicyOf(
  values: Record<string, string | boolean | undefined>,
  count: (flag: string, value: string | undefined) => number | undefined,
) {
  const text = (flag: string) => {
    const value = values[flag];
    return typeof value === "string" ? value : undefined;
  };
  const maxAttempts = count("max-attempts", text("max-attempts"));
  const others = ["retry-initial-ms", "backoff", "retry-max-ms", "retry-jitter-ms", "on-exhausted"];
  if (maxAttempts === undefined) {
    const stray = others.find((flag) => values[flag] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray}: needs --max-attempts`);
    return undefined;
  }
  const ms = (flag: string) => {
    const n = count(flag, text(flag));
    return n === undefined ? undefined : durationFromMs(n);
  };
  const backoff = text("backoff") === undefined ? 0 : Number(text("backoff"));
  if (!Number.isFinite(backoff)) throw new UsageError("--backoff: must be a number");
  const exhausted = text("on-exhausted");
  const onExhausted = exhausted === undefined ? OnExhausted.UNSPECIFIED : ON_EXHAUSTED[exhausted];
  if (onExhausted === undefined)
    throw new UsageError("--on-exhausted: must be continue, pause or dead_letter");
  return {
    maxAttempts,
    backoffCoefficient: backoff,
    onExhausted,
    ...optional("initialInterval", ms("retry-initial-ms")),
    ...optional("maxInterval", ms("retry-max-ms")),
    ...optional("jitter", ms("retry-jitter-ms")),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function printTasks(format: ReturnType<typeof outputOf>, tasks: Task[]): void {
  print(
    format,
    tasks.map((t) => toJson(TaskSchema, t)),
    () => tasks.map(taskRow),
  );
}
