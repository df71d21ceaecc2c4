/*
 * Micro-benchmark of the hand-written codecs of the hot paths: encode an ExecuteResponse of 256
 * executions with 200-byte args, decode a 10,000-item AckRequest, decode a 10,000-instance
 * ScheduleRequest. `node --import=tsx bench/tools/codecs.ts [root...]` measures the codecs of
 * each tree (default: this one) in one process, rounds interleaved so that a busy machine
 * slows every tree alike; e.g. before/after:
 *   node --import=tsx bench/tools/codecs.ts /work/wt/before .
 * It prints the median round per case and tree (microseconds per operation).
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { create, fromJson, toBinary } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { AckRequestSchema } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { ScheduleRequestSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";

const roots = (process.argv.length > 2 ? process.argv.slice(2) : ["."]).map((root) => resolve(root));

interface Codecs {
  root: string;
  encodeExecuteResponse: (batch: unknown[]) => unknown;
  decodeAckRequest: (bytes: Buffer) => unknown;
  decodeScheduleRequest: (bytes: Buffer) => unknown;
}

async function load(root: string): Promise<Codecs> {
  const from = (path: string) => import(pathToFileURL(resolve(root, path)).href);
  return {
    root,
    ...(await from("src/server/execution-encoding.ts")),
    ...(await from("src/server/execution-ack-codec.ts")),
    ...(await from("src/server/convert-schedule-request.ts")),
  };
}

const trees = await Promise.all(roots.map(load));

/** Struct bytes of about `bytes` bytes: a few keys of mixed kinds. */
function argsOf(bytes: number): Uint8Array {
  const filler = "x".repeat(Math.max(0, bytes - 60));
  return toBinary(StructSchema, fromJson(StructSchema, { user: "ada", retries: 3, ok: true, blob: filler }));
}

const args = argsOf(200);
const now = Date.UTC(2027, 2, 28, 1, 30, 0, 250);
const deliveries = Array.from({ length: 256 }, (_, i) => ({
  leaseId: `${i % 16}.${1000 + i}.281474976710.5.mailsuser-${i}`,
  task: "mails",
  instance: `user-${i}`,
  partition: i % 16,
  scheduledAt: now + i,
  leaseExpiresAt: now + 60_000 + i,
  defaultArgs: new Uint8Array(0),
  args,
  attempt: 1,
}));

const ack = Buffer.from(
  toBinary(
    AckRequestSchema,
    create(AckRequestSchema, {
      items: Array.from({ length: 10_000 }, (_, i) => ({
        leaseId: `${i % 16}.${1000 + i}.281474976710.5.mailsuser-${i}`,
      })),
    }),
  ),
);

const schedule = Buffer.from(
  toBinary(
    ScheduleRequestSchema,
    create(ScheduleRequestSchema, {
      task: "mails",
      instances: Array.from({ length: 10_000 }, (_, i) => ({
        name: `user-${i}`,
        schedule: { kind: { case: "cron" as const, value: "*/5 * * * *" }, timezone: "Europe/Berlin" },
        args: { user: `user-${i}`, retries: 3, ok: true, tags: ["a", "b"] },
      })),
    }),
  ),
);

/** Median microseconds per op of each tree's `run`, rounds interleaved between trees. */
function measure(label: string, ops: number, run: (codecs: Codecs) => unknown): void {
  const rounds = trees.map(() => [] as number[]);
  for (const codecs of trees) for (let i = 0; i < ops; i++) run(codecs); // warm-up
  for (let round = 0; round < 21; round++) {
    trees.forEach((codecs, t) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < ops; i++) run(codecs);
      rounds[t]?.push(Number(process.hrtime.bigint() - start) / 1000 / ops);
    });
  }
  const medians = rounds.map((r) => r.sort((a, b) => a - b)[10] as number);
  const cells = medians.map((m) => m.toFixed(1).padStart(9));
  console.log(`${label.padEnd(44)} ${cells.join("  ")}  us/op`);
}

console.log(`${"".padEnd(44)} ${roots.map((r) => r.split("/").pop()?.padStart(9)).join("  ")}`);
measure("encode ExecuteResponse (256 x 200 B args)", 400, (c) => c.encodeExecuteResponse(deliveries));
measure("decode AckRequest (10,000 items)", 20, (c) => c.decodeAckRequest(ack));
measure("decode ScheduleRequest (10,000 instances)", 10, (c) => c.decodeScheduleRequest(schedule));
