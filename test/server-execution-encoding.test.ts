import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { ExecuteResponseSchema, ExecutionSchema } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { ExecutionReason } from "../gen/ts/partitura/v1/instance_pb.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { encodeExecuteResponse } from "../src/server/execution-encoding.ts";
import { structArgs } from "./store-conformance/fixtures.ts";

/*
 * The Execute hot path writes ExecuteResponse by hand. What a worker decodes with any
 * protobuf library must be exactly what protobuf-es would have sent, args merged key by key.
 */

const empty = new Uint8Array();
const base: Delivery = {
  leaseId: "3.17.99.5.mailsuser-ada",
  task: "mails",
  instance: "user-ada",
  partition: 3,
  scheduledAt: Date.UTC(2027, 2, 28, 1, 30, 0, 250),
  leaseExpiresAt: Date.UTC(2027, 2, 28, 1, 31, 0, 250),
  defaultArgs: empty,
  args: empty,
  attempt: 1,
  reason: "scheduled",
};

function decode(batch: Delivery[]) {
  return fromBinary(ExecuteResponseSchema, encodeExecuteResponse(batch)).executions;
}

test("every field decodes as protobuf-es would have encoded it", (t) => {
  const deliveries: Delivery[] = [
    base,
    {
      ...base,
      partition: 0,
      attempt: 7,
      reason: "retry",
      instance: "zürich-ünïcode-名前",
      leaseId: "0.1.2.5.mailszürich",
    },
    { ...base, scheduledAt: 1_000, leaseExpiresAt: 61_000 },
  ];
  const expected = deliveries.map((d) =>
    create(ExecutionSchema, {
      leaseId: d.leaseId,
      task: d.task,
      instance: d.instance,
      partition: d.partition,
      scheduledAt: timestampFromMs(d.scheduledAt),
      leaseExpiresAt: timestampFromMs(d.leaseExpiresAt),
      attempt: d.attempt,
      reason: d.reason === "retry" ? ExecutionReason.RETRY : ExecutionReason.SCHEDULED,
    }),
  );
  t.deepEqual(decode(deliveries), expected);
  // Without args the bytes are identical too, not only the decoded values.
  t.deepEqual(
    Buffer.from(encodeExecuteResponse(deliveries)),
    Buffer.from(toBinary(ExecuteResponseSchema, create(ExecuteResponseSchema, { executions: expected }))),
  );
});

test("instance args win key by key over the task's defaults; nested values are replaced whole", (t) => {
  const defaultArgs = structArgs({ queue: "default", retries: 3, opts: { a: 1, b: 2 } });
  const args = structArgs({ retries: 5, opts: { c: 3 }, user: "ada" });
  const [execution] = decode([{ ...base, defaultArgs, args }]);
  t.deepEqual(execution?.args, { queue: "default", retries: 5, opts: { c: 3 }, user: "ada" });
});

test("either side alone is sent as it is; neither means no args", (t) => {
  const defaultArgs = structArgs({ queue: "default" });
  const args = structArgs({ user: "ada" });
  const [onlyDefaults, onlyOwn, none] = decode([{ ...base, defaultArgs }, { ...base, args }, base]);
  t.deepEqual(onlyDefaults?.args, { queue: "default" });
  t.deepEqual(onlyOwn?.args, { user: "ada" });
  t.is(none?.args, undefined);
});

test("an empty batch is an empty message", (t) => {
  t.is(encodeExecuteResponse([]).length, 0);
});
