import { ListValueSchema, StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { ExecuteResponseSchema, ExecutionSchema } from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { Delivery } from "../engine/delivery.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import { reasonToProto } from "./convert-reason.ts";
import {
  bytesFieldSize,
  stringSize,
  tagByte,
  timestampFieldSize,
  uintSize,
  utf8Length,
  varintSize,
  writeHeader,
  writeString,
  writeTimestamp,
  writeUint,
} from "./convert-wire.ts";
import { type Encoded, encoded } from "./encoded.ts";

/*
 * ExecuteResponse written by hand: the hot path of every delivery. protobuf-es would need a
 * message object per execution (and args decoded to JSON and re-encoded); here the stored
 * Struct bytes are copied as they are. Defaults then instance args, concatenated, is itself the
 * encoding of the merged Struct (a repeated map key keeps its last value). Field tags come from
 * the generated descriptors, as one-byte constants computed at load.
 *
 * Two passes over the batch: the first measures each string once (natively) and keeps the
 * lengths in a scratch array, the second writes into one Buffer of exactly the total size.
 */

const F = ExecutionSchema.field;
const EXECUTIONS = tagByte(ExecuteResponseSchema.field.executions);
const LEASE_ID = tagByte(F.leaseId);
const TASK = tagByte(F.task);
const INSTANCE = tagByte(F.instance);
const PARTITION = tagByte(F.partition);
const SCHEDULED_AT = tagByte(F.scheduledAt);
const LEASE_EXPIRES_AT = tagByte(F.leaseExpiresAt);
const ARGS = tagByte(F.args);
const ATTEMPT = tagByte(F.attempt);
const REASON = tagByte(F.reason);

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
    "reason",
  ]),
  covers(TimestampSchema, ["seconds", "nanos"]),
  // Args are copied as stored: Struct bytes the Schedule reader or argsToBytes wrote or checked.
  covers(StructSchema, ["fields"]),
  covers(ValueSchema, ["nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"]),
  covers(ListValueSchema, ["values"]),
];

/*
 * Per delivery: lease id, task and instance byte lengths, then the execution's size. Reused
 * across calls (encoding is synchronous), grown when a batch is larger.
 */
const SLOTS = 4;
let scratch = new Int32Array(256 * SLOTS);

/** The encoded ExecuteResponse of a batch of deliveries. */
export function encodeExecuteResponse(batch: readonly Delivery[]): Encoded<typeof ExecuteResponseSchema> {
  if (scratch.length < batch.length * SLOTS) scratch = new Int32Array(batch.length * SLOTS);
  const lengths = scratch;
  // A batch is usually of one task: measure its name once.
  let task = "";
  let taskLength = 0;
  let total = 0;
  for (let i = 0, j = 0; i < batch.length; i++, j += SLOTS) {
    const d = batch[i] as Delivery;
    if (d.task !== task) {
      task = d.task;
      taskLength = utf8Length(task);
    }
    const lease = utf8Length(d.leaseId);
    const instance = utf8Length(d.instance);
    const size =
      stringSize(lease) +
      stringSize(taskLength) +
      stringSize(instance) +
      uintSize(d.partition) +
      timestampFieldSize(d.scheduledAt) +
      timestampFieldSize(d.leaseExpiresAt) +
      bytesFieldSize(d.defaultArgs.length + d.args.length) +
      uintSize(d.attempt) +
      uintSize(reasonToProto(d.reason));
    lengths[j] = lease;
    lengths[j + 1] = taskLength;
    lengths[j + 2] = instance;
    lengths[j + 3] = size;
    total += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0, j = 0; i < batch.length; i++, j += SLOTS) {
    const d = batch[i] as Delivery;
    pos = writeHeader(out, pos, EXECUTIONS, lengths[j + 3] as number);
    pos = writeString(out, pos, LEASE_ID, d.leaseId, lengths[j] as number);
    pos = writeString(out, pos, TASK, d.task, lengths[j + 1] as number);
    pos = writeString(out, pos, INSTANCE, d.instance, lengths[j + 2] as number);
    pos = writeUint(out, pos, PARTITION, d.partition);
    pos = writeTimestamp(out, pos, SCHEDULED_AT, d.scheduledAt);
    pos = writeTimestamp(out, pos, LEASE_EXPIRES_AT, d.leaseExpiresAt);
    const defaults = d.defaultArgs;
    const args = d.args;
    if (defaults.length + args.length > 0) {
      pos = writeHeader(out, pos, ARGS, defaults.length + args.length);
      if (defaults.length > 0) {
        out.set(defaults, pos);
        pos += defaults.length;
      }
      if (args.length > 0) {
        out.set(args, pos);
        pos += args.length;
      }
    }
    pos = writeUint(out, pos, ATTEMPT, d.attempt);
    pos = writeUint(out, pos, REASON, reasonToProto(d.reason));
  }
  return encoded(ExecuteResponseSchema, out);
}
