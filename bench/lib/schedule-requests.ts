import {
  PutTaskRequestSchema,
  ScheduleMode,
  ScheduleRequestSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { encode, METHOD, type RawClient } from "./grpc-raw.ts";

/** Creates a dynamic task with `partitionCount` partitions through PutTask. */
export async function putTask(client: RawClient, name: string, partitionCount: number): Promise<void> {
  await client.unary(
    METHOD.putTask,
    encode(PutTaskRequestSchema, { task: { name, dynamic: true, partitionCount } }),
  );
}

/**
 * Schedule requests for `count` instances, `batch` a call, every one an interval instance with
 * small args; encoded up front so the timed section only sends bytes.
 */
export function scheduleRequests(
  task: string,
  count: number,
  batch: number,
  intervalSeconds: number,
): Buffer[] {
  const requests: Buffer[] = [];
  for (let from = 0; from < count; from += batch) {
    const instances = [];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      instances.push({
        name: `i${i}`,
        schedule: { kind: { case: "interval" as const, value: { seconds: BigInt(intervalSeconds) } } },
        // protobuf-es represents a google.protobuf.Struct field as a plain JSON object.
        args: { user: `u${i}` },
      });
    }
    requests.push(encode(ScheduleRequestSchema, { task, instances, mode: ScheduleMode.SAFE }));
  }
  return requests;
}
