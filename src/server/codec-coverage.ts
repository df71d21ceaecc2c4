import type { DescMessage } from "@bufbuild/protobuf";

/*
 * Each hand-written codec declares, per message it reads or writes, which fields it handles
 * and which it leaves out on purpose. test/server-codec-completeness.test.ts compares the
 * declarations with the generated descriptors, so a field added to the proto (the lifecycle
 * work adds some to Execution and Instance) fails a test until a codec handles it, instead of
 * being dropped silently.
 */

/** The local (camelCase) field names of a generated message schema. */
type FieldName<D extends DescMessage> = D extends { field: Record<infer K, unknown> } ? K & string : string;

/** What one codec does with one message's fields. */
export interface MessageCoverage {
  readonly schema: DescMessage;
  /** Fields read or written. */
  readonly handled: readonly string[];
  /** Fields deliberately not written (with the reason in the codec), if any. */
  readonly omitted: readonly string[];
}

/** A coverage entry whose field names the type checker knows belong to `schema`. */
export function covers<D extends DescMessage>(
  schema: D,
  handled: readonly FieldName<D>[],
  omitted: readonly FieldName<D>[] = [],
): MessageCoverage {
  return { schema, handled, omitted };
}
