import type { DescMessage } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import test from "ava";
import type { MessageCoverage } from "../src/server/codec-coverage.ts";
import { scheduleRequestCoverage } from "../src/server/convert-schedule-request.ts";
import { scheduleResponseCoverage } from "../src/server/convert-schedule-response.ts";
import { TAG_NANOS, TAG_SECONDS, tagOf } from "../src/server/convert-wire.ts";
import { ackCoverage } from "../src/server/execution-ack-codec.ts";
import { executeResponseCoverage } from "../src/server/execution-encoding.ts";

/*
 * The hand-written codecs must handle every field of every message they read or write, as
 * the generated descriptors (gen/ts) define them today: a field added to the proto fails here
 * until a codec writes it (or declares it left out), instead of being dropped silently.
 */

const codecs: Record<string, readonly MessageCoverage[]> = {
  "ExecuteResponse writer": executeResponseCoverage,
  "Ack reader and writer": ackCoverage,
  "Schedule reader": scheduleRequestCoverage,
  "Schedule writer": scheduleResponseCoverage,
};

/**
 * Every message reachable from `schema` through its fields (map values and lists included),
 * except through fields the codec leaves out on purpose.
 */
function reachable(
  schema: DescMessage,
  coverage: readonly MessageCoverage[],
  seen = new Map<string, DescMessage>(),
): Map<string, DescMessage> {
  if (seen.has(schema.typeName)) return seen;
  seen.set(schema.typeName, schema);
  const omitted = coverage.find((c) => c.schema.typeName === schema.typeName)?.omitted ?? [];
  for (const field of schema.fields) {
    if (omitted.includes(field.localName)) continue;
    const message =
      field.fieldKind === "message"
        ? field.message
        : field.fieldKind === "list" && field.listKind === "message"
          ? field.message
          : field.fieldKind === "map" && field.mapKind === "message"
            ? field.message
            : undefined;
    if (message !== undefined) reachable(message, coverage, seen);
  }
  return seen;
}

for (const [name, coverage] of Object.entries(codecs)) {
  test(`${name}: every field of every message it touches is handled`, (t) => {
    const declared = new Map(coverage.map((c) => [c.schema.typeName, c]));
    const top = coverage[0]?.schema;
    if (top === undefined) return t.fail("no coverage declared");
    for (const [typeName, schema] of reachable(top, coverage)) {
      const entry = declared.get(typeName);
      if (entry === undefined) {
        t.fail(`${typeName} is reachable but the codec declares nothing for it`);
        continue;
      }
      const fields = schema.fields.map((f) => f.localName).sort();
      const handled = [...entry.handled, ...entry.omitted].sort();
      t.deepEqual(handled, fields, `${typeName}: fields handled by the ${name} vs the descriptor`);
    }
  });
}

test("Timestamp and Duration share the seconds/nanos tags the wire module writes", (t) => {
  for (const schema of [TimestampSchema, DurationSchema]) {
    t.is(tagOf(schema.field.seconds), TAG_SECONDS);
    t.is(tagOf(schema.field.nanos), TAG_NANOS);
  }
});
