import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { clip, invalid, toError } from "../domain/errors.ts";
import { MAX_ARGS_DEPTH } from "../domain/limits.ts";

/*
 * Args travel as google.protobuf.Struct, which protobuf-es surfaces as a plain JSON object.
 * Stores keep them as the Struct's protobuf encoding: compact, opaque, and measured against
 * the 64 KiB limit in the same bytes a client sent. An empty Struct encodes to no bytes, so
 * "no args" and "{}" are one thing.
 */

/**
 * A Struct field as stored bytes; INVALID_ARGUMENT naming `field` (and the path inside it)
 * when it cannot be encoded, holds NaN or an infinity (JSON has no form for them: every later
 * read would fail), or nests deeper than MAX_ARGS_DEPTH (stock Python and C++ parsers refuse
 * the replies that carry it).
 */
export function argsToBytes(field: string, args: JsonObject | undefined): Uint8Array {
  if (args === undefined) return new Uint8Array(0);
  checkJson(field, args, 1);
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

/** Longest field path an error message names (keys are client input). */
const MAX_PATH_CHARS = 100;

/** Checks numbers and nesting of one Struct or ListValue `level` containers deep. */
function checkJson(path: string, value: JsonObject | JsonValue[], level: number): void {
  if (level > MAX_ARGS_DEPTH) {
    throw invalid(shown(path), `nests Struct and ListValue deeper than ${MAX_ARGS_DEPTH} levels`);
  }
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((item, i) => [`${path}[${i}]`, item])
    : Object.entries(value).map(([key, item]) => [`${path}${keyPath(key)}`, item as JsonValue]);
  for (const [at, item] of entries) {
    if (typeof item === "number") {
      if (!Number.isFinite(item)) throw invalid(shown(at), "must be a finite number");
    } else if (item !== null && typeof item === "object") {
      checkJson(at, item, level + 1);
    }
  }
}

function keyPath(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function shown(path: string): string {
  return path.length <= MAX_PATH_CHARS ? path : `${path.slice(0, MAX_PATH_CHARS)}…`;
}
