import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import {
  type ExecuteResponse,
  type Execution,
  ExecutionSchema,
  Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { Client } from "../sdk/client.ts";
import { toPartituraError } from "../sdk/errors.ts";
import { dialAddress } from "../sdk/replica-stream.ts";
import { CONNECTION_FLAGS, clientOf, outputOf, parsed } from "./context.ts";
import { UsageError } from "./usage-error.ts";

export const TAIL_HELP = `partitura tail TASK [--ack | --fail] [--count N] [--max-in-flight N] [--output table|json|jsonl]
  Prints the task's executions as they are delivered, from every replica in the partition map.
  tail takes executions as a worker does (there is no read-only view), so by default it acks
  nothing and does not heartbeat: each lease it holds expires after the task's lease_duration
  and the slot is delivered again, and when tail exits its stream closes, which releases what it
  still holds at once. --ack acks each execution as done (a no-op worker: for tasks nobody else
  runs), --fail acks each as a failure (the task's failure mode decides). --count N exits after
  N executions; json prints one array then.`;

/** `partitura tail TASK`: watches a task's executions live. */
export async function tail(args: string[]): Promise<void> {
  const { values, positionals } = parsed(() =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...CONNECTION_FLAGS,
        ack: { type: "boolean" },
        fail: { type: "boolean" },
        count: { type: "string" },
        "max-in-flight": { type: "string" },
      },
    }),
  );
  if (values.help) return void process.stdout.write(`${TAIL_HELP}\n`);
  const [task] = positionals;
  if (task === undefined) throw new UsageError("tail: TASK is required");
  if (values.ack && values.fail) throw new UsageError("--ack, --fail: give at most one");
  const count = whole("count", values.count);
  const maxInFlight = whole("max-in-flight", values["max-in-flight"]) ?? 10;
  const format = outputOf(values.output);
  const outcome = values.ack ? Outcome.SUCCESS : values.fail ? Outcome.FAILURE : undefined;
  const client = clientOf(values);
  try {
    await watch({ client, task, count, maxInFlight, format, outcome });
  } finally {
    client.close();
  }
}

function whole(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: must be a whole number, at least 1`);
  return n;
}

interface Watch {
  readonly client: Client;
  readonly task: string;
  readonly count: number | undefined;
  readonly maxInFlight: number;
  readonly format: ReturnType<typeof outputOf>;
  readonly outcome: Outcome | undefined;
}

/*
 * Raw Execute streams rather than the SDK Worker: the Worker heartbeats what it holds and
 * fails what is unsettled when it stops, both wrong for a watcher that wants to give every
 * lease back untouched.
 */
async function watch(w: Watch): Promise<void> {
  const { replicas } = await w.client.getPartitionMap({ task: w.task });
  const own = w.client.options.address;
  const addresses = [
    ...new Set(replicas.filter((r) => r.partitions.length > 0).map((r) => dialAddress(r.address, own))),
  ];
  // Replicas other than the given address need their own connection; acks go where the execution came from.
  const clients = new Map<string, Client>([[own, w.client]]);
  for (const address of addresses) {
    if (!clients.has(address)) clients.set(address, new Client({ ...w.client.options, address }));
  }
  const calls: grpc.ClientReadableStream<ExecuteResponse>[] = [];
  const seen: Execution[] = [];
  const acks: Promise<unknown>[] = [];
  if (w.format === "table")
    process.stdout.write(row(["SCHEDULED", "INSTANCE", "PARTITION", "ATTEMPT", "ACK"]));
  try {
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        process.off("SIGINT", done);
        process.off("SIGTERM", done);
        resolve();
      };
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
      const targets = addresses.length > 0 ? addresses : [own];
      const perStream = Math.max(1, Math.floor(w.maxInFlight / targets.length));
      for (const address of targets) {
        const client = clients.get(address) ?? w.client;
        const call = client.execute({ task: w.task, maxInFlight: perStream });
        calls.push(call);
        call.on("data", (message: ExecuteResponse) => {
          for (const execution of message.executions) {
            if (w.count !== undefined && seen.length >= w.count) return;
            seen.push(execution);
            show(w.format, execution, w.outcome);
            if (w.outcome !== undefined) {
              acks.push(client.ack({ items: [{ leaseId: execution.leaseId, outcome: w.outcome }] }));
            }
            if (w.count !== undefined && seen.length >= w.count) done();
          }
        });
        call.on("error", (error: grpc.ServiceError) => {
          if (error.code !== grpc.status.CANCELLED) reject(toPartituraError(error));
        });
        call.on("end", () => reject(new Error(`the stream from ${address} ended`)));
      }
    });
    await Promise.all(acks);
  } finally {
    for (const call of calls) call.cancel();
    for (const client of clients.values()) if (client !== w.client) client.close();
  }
  if (w.format === "json") {
    process.stdout.write(`${JSON.stringify(seen.map(json), null, 2)}\n`);
  }
}

const json = (execution: Execution) => toJson(ExecutionSchema, execution);

function show(format: Watch["format"], execution: Execution, outcome: Outcome | undefined): void {
  if (format === "jsonl") process.stdout.write(`${JSON.stringify(json(execution))}\n`);
  if (format !== "table") return;
  const at = execution.scheduledAt ? new Date(timestampMs(execution.scheduledAt)).toISOString() : "";
  const ack = outcome === Outcome.SUCCESS ? "success" : outcome === Outcome.FAILURE ? "failure" : "-";
  process.stdout.write(
    row([at, execution.instance, String(execution.partition), String(execution.attempt), ack]),
  );
}

const WIDTHS = [24, 24, 9, 7, 7];
const row = (cells: string[]) =>
  `${cells
    .map((c, i) => c.padEnd(WIDTHS[i] ?? 0))
    .join("  ")
    .trimEnd()}\n`;
