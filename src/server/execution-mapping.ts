import { create, fromBinary, type JsonObject, toJson } from "@bufbuild/protobuf";
import { StructSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Execution,
  ExecutionSchema,
  LeaseStatus as LeaseStatusPb,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import type { LeaseStatus } from "../domain/model.ts";
import type { Delivery } from "../engine/delivery.ts";

/*
 * Task default args are decoded once per task definition (the engine hands out the same bytes
 * object for every execution of a cached task) and shared by every execution without args of
 * its own; that object is only ever serialised, never mutated.
 */
const decodedDefaults = new WeakMap<Uint8Array, JsonObject>();

function decodeDefaults(bytes: Uint8Array): JsonObject {
  let object = decodedDefaults.get(bytes);
  if (object === undefined) {
    object = decodeStruct(bytes);
    decodedDefaults.set(bytes, object);
  }
  return object;
}

/** protobuf-es represents a google.protobuf.Struct field as a plain JSON object. */
function decodeStruct(bytes: Uint8Array): JsonObject {
  return toJson(StructSchema, fromBinary(StructSchema, bytes)) as JsonObject;
}

/**
 * The instance's args over the task's defaults, key by key. Both are encoded Structs, whose
 * only field is a map, and protobuf parsing keeps the last entry of a repeated map key: so
 * decoding the two encodings one after the other is exactly the merge, in one pass.
 */
export function mergedArgs(defaults: Uint8Array, args: Uint8Array): JsonObject | undefined {
  if (args.length === 0) return defaults.length === 0 ? undefined : decodeDefaults(defaults);
  if (defaults.length === 0) return decodeStruct(args);
  const both = new Uint8Array(defaults.length + args.length);
  both.set(defaults, 0);
  both.set(args, defaults.length);
  return decodeStruct(both);
}

/** The wire form of one delivery. */
export function toExecution(delivery: Delivery): Execution {
  const args = mergedArgs(delivery.defaultArgs, delivery.args);
  const execution = create(ExecutionSchema, {
    leaseId: delivery.leaseId,
    task: delivery.task,
    instance: delivery.instance,
    partition: delivery.partition,
    scheduledAt: timestampFromMs(delivery.scheduledAt),
    leaseExpiresAt: timestampFromMs(delivery.leaseExpiresAt),
    attempt: delivery.attempt,
  });
  if (args !== undefined) execution.args = args;
  return execution;
}

const statusPb: Record<LeaseStatus, LeaseStatusPb> = {
  ok: LeaseStatusPb.OK,
  lease_lost: LeaseStatusPb.LEASE_LOST,
  not_found: LeaseStatusPb.NOT_FOUND,
};

/** The wire form of a lease status. */
export function toLeaseStatus(status: LeaseStatus): LeaseStatusPb {
  return statusPb[status];
}
