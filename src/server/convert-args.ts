import type { JsonObject } from "@bufbuild/protobuf";
import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { clip, invalid, toError } from "../domain/errors.ts";

/*
 * Args travel as google.protobuf.Struct, which protobuf-es surfaces as a plain JSON object.
 * Stores keep them as the Struct's protobuf encoding: compact, opaque, and measured against
 * the 64 KiB limit in the same bytes a client sent. An empty Struct encodes to no bytes, so
 * "no args" and "{}" are one thing.
 */

/** A Struct field as stored bytes; INVALID_ARGUMENT naming `field` when it cannot be encoded. */
export function argsToBytes(field: string, args: JsonObject | undefined): Uint8Array {
  if (args === undefined) return new Uint8Array(0);
  try {
    return toBinary(StructSchema, fromJson(StructSchema, args));
  } catch (thrown) {
    throw invalid(field, `is not a valid Struct: ${clip(toError(thrown).message)}`);
  }
}

/** Stored bytes as a Struct field; undefined when there are none. */
export function bytesToArgs(bytes: Uint8Array): JsonObject | undefined {
  if (bytes.byteLength === 0) return undefined;
  return toJson(StructSchema, fromBinary(StructSchema, bytes)) as JsonObject;
}
