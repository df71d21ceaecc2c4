import { ListValueSchema, StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { ExecuteResponseSchema, ExecutionSchema } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Delivery } from "../engine/delivery.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import {
  bytesFieldSize,
  delimitedSize,
  stringSize,
  tagOf,
  timestampFieldSize,
  uintSize,
  writeHeader,
  writeString,
  writeTimestamp,
  writeUint,
  writeVarint,
} from "./convert-wire.ts";
import { type Encoded, encoded } from "./encoded.ts";

/*
 * ExecuteResponse written by hand: the hot path of every delivery. protobuf-es would need a
 * message object per execution (and args decoded to JSON and re-encoded); here the stored
 * Struct bytes are copied as they are. Defaults then instance args, concatenated, is itself the
 * encoding of the merged Struct (a repeated map key keeps its last value). Field tags come from
 * the generated descriptors.
 */

const F = ExecutionSchema.field;
const EXECUTIONS = tagOf(ExecuteResponseSchema.field.executions);
const LEASE_ID = tagOf(F.leaseId);
const TASK = tagOf(F.task);
const INSTANCE = tagOf(F.instance);
const PARTITION = tagOf(F.partition);
const SCHEDULED_AT = tagOf(F.scheduledAt);
const LEASE_EXPIRES_AT = tagOf(F.leaseExpiresAt);
const ARGS = tagOf(F.args);
const ATTEMPT = tagOf(F.attempt);

/** The fields this codec writes (checked against the descriptors by a test). */
export const executeResponseCoverage: readonly MessageCoverage[] = [
  covers(ExecuteResponseSchema, ["executions"]),
  covers(ExecutionSchema, [
    "leaseId",
    "task",
    "instance",
    "partition",
    "scheduledAt",
    "leaseExpiresAt",
    "args",
    "attempt",
  ]),
  covers(TimestampSchema, ["seconds", "nanos"]),
  // Args are copied as stored: Struct bytes the Schedule reader or argsToBytes wrote or checked.
  covers(StructSchema, ["fields"]),
  covers(ValueSchema, ["nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"]),
  covers(ListValueSchema, ["values"]),
];

function executionSize(d: Delivery): number {
  return (
    stringSize(LEASE_ID, d.leaseId) +
    stringSize(TASK, d.task) +
    stringSize(INSTANCE, d.instance) +
    uintSize(PARTITION, d.partition) +
    timestampFieldSize(SCHEDULED_AT, d.scheduledAt) +
    timestampFieldSize(LEASE_EXPIRES_AT, d.leaseExpiresAt) +
    bytesFieldSize(ARGS, d.defaultArgs.length + d.args.length) +
    uintSize(ATTEMPT, d.attempt)
  );
}

/** The encoded ExecuteResponse of a batch of deliveries. */
export function encodeExecuteResponse(batch: readonly Delivery[]): Encoded<typeof ExecuteResponseSchema> {
  const sizes = new Array<number>(batch.length);
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    const size = executionSize(batch[i] as Delivery);
    sizes[i] = size;
    total += delimitedSize(EXECUTIONS, size);
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i] as Delivery;
    pos = writeHeader(out, pos, EXECUTIONS, sizes[i] as number);
    pos = writeString(out, pos, LEASE_ID, d.leaseId);
    pos = writeString(out, pos, TASK, d.task);
    pos = writeString(out, pos, INSTANCE, d.instance);
    pos = writeUint(out, pos, PARTITION, d.partition);
    pos = writeTimestamp(out, pos, SCHEDULED_AT, d.scheduledAt);
    pos = writeTimestamp(out, pos, LEASE_EXPIRES_AT, d.leaseExpiresAt);
    const args = d.defaultArgs.length + d.args.length;
    if (args > 0) {
      pos = writeVarint(out, writeVarint(out, pos, ARGS), args);
      out.set(d.defaultArgs, pos);
      pos += d.defaultArgs.length;
      out.set(d.args, pos);
      pos += d.args.length;
    }
    pos = writeUint(out, pos, ATTEMPT, d.attempt);
  }
  return encoded(ExecuteResponseSchema, out);
}
