import { fromBinary } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  type AckItem,
  AckItemSchema,
  type AckRequest,
  AckRequestSchema,
  AckResponseSchema,
  AckResultSchema,
  type LeaseStatus,
  type Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { covers, type MessageCoverage } from "./codec-coverage.ts";
import {
  stringSize,
  tagByte,
  UNUSUAL,
  type Unusual,
  uintSize,
  utf8Length,
  varintSize,
  WireReader,
  writeHeader,
  writeString,
  writeUint,
} from "./convert-wire.ts";
import { type Encoded, encoded } from "./encoded.ts";

/*
 * AckRequest read and AckResponse written by hand: every execution passes through both once,
 * and protobuf-es's reflection costs about ten times more per item. The reader takes the shape
 * every client sends (canonical varints, each field once); anything else (unknown fields,
 * groups, a repeated retry_after, negative numbers, truncation) goes to protobuf-es, so every
 * message decodes exactly as fromBinary would have decoded it, errors included.
 */

const ITEMS = tagByte(AckRequestSchema.field.items);
const LEASE_ID = tagByte(AckItemSchema.field.leaseId);
const OUTCOME = tagByte(AckItemSchema.field.outcome);
const RETRY_AFTER = tagByte(AckItemSchema.field.retryAfter);
const ERROR = tagByte(AckItemSchema.field.error);
const RESULTS = tagByte(AckResponseSchema.field.results);
const RESULT_LEASE_ID = tagByte(AckResultSchema.field.leaseId);
const RESULT_STATUS = tagByte(AckResultSchema.field.status);

/** The fields this codec reads and writes (checked against the descriptors by a test). */
export const ackCoverage: readonly MessageCoverage[] = [
  covers(AckRequestSchema, ["items"]),
  covers(AckItemSchema, ["leaseId", "outcome", "retryAfter", "error"]),
  covers(DurationSchema, ["seconds", "nanos"]),
  covers(AckResponseSchema, ["results"]),
  covers(AckResultSchema, ["leaseId", "status"]),
];

/** The decoded AckRequest (same value as protobuf-es fromBinary), hand-read where possible. */
export function decodeAckRequest(bytes: Buffer): AckRequest {
  const fast = readAckRequest(new WireReader(bytes));
  return fast === UNUSUAL ? fromBinary(AckRequestSchema, bytes) : fast;
}

function readAckRequest(r: WireReader): AckRequest | Unusual {
  const end = r.buf.length;
  const items: AckItem[] = [];
  while (r.pos < end) {
    if (r.buf[r.pos++] !== ITEMS) return UNUSUAL;
    const itemEnd = r.delimited(end);
    if (itemEnd === UNUSUAL) return UNUSUAL;
    const item = readAckItem(r, itemEnd);
    if (item === UNUSUAL) return UNUSUAL;
    items.push(item);
  }
  return { $typeName: "partitura.v1.AckRequest", items };
}

function readAckItem(r: WireReader, end: number): AckItem | Unusual {
  let leaseId = "";
  let outcome = 0;
  let retryAfter: Duration | undefined;
  let error = "";
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === LEASE_ID) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      leaseId = text;
    } else if (tag === OUTCOME) {
      const value = r.varint(end);
      if (value === UNUSUAL || value > 0x7fffffff) return UNUSUAL;
      outcome = value;
    } else if (tag === RETRY_AFTER && retryAfter === undefined) {
      const durationEnd = r.delimited(end);
      if (durationEnd === UNUSUAL) return UNUSUAL;
      const parts = r.secondsNanos(durationEnd);
      if (parts === UNUSUAL) return UNUSUAL;
      retryAfter = { $typeName: "google.protobuf.Duration", ...parts };
    } else if (tag === ERROR) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      error = text;
    } else {
      return UNUSUAL;
    }
  }
  const item: AckItem = { $typeName: "partitura.v1.AckItem", leaseId, outcome: outcome as Outcome, error };
  if (retryAfter !== undefined) item.retryAfter = retryAfter;
  return item;
}

/** Lease id byte lengths of the items, measured once; reused across calls (encoding is synchronous). */
let scratch = new Int32Array(1024);

/** The encoded AckResponse: per item its lease id (from the request) and status, in order. */
export function encodeAckResponse(
  items: readonly AckItem[],
  statuses: readonly LeaseStatus[],
): Encoded<typeof AckResponseSchema> {
  if (scratch.length < items.length) scratch = new Int32Array(items.length);
  const lengths = scratch;
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const length = utf8Length((items[i] as AckItem).leaseId);
    lengths[i] = length;
    const size = stringSize(length) + uintSize(statuses[i] as number);
    total += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < items.length; i++) {
    const length = lengths[i] as number;
    const status = statuses[i] as number;
    pos = writeHeader(out, pos, RESULTS, stringSize(length) + uintSize(status));
    pos = writeString(out, pos, RESULT_LEASE_ID, (items[i] as AckItem).leaseId, length);
    pos = writeUint(out, pos, RESULT_STATUS, status);
  }
  return encoded(AckResponseSchema, out);
}
