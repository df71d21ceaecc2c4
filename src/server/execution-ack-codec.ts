import { fromBinary } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import {
  type AckItem,
  type AckRequest,
  AckRequestSchema,
  type AckResponse,
  type LeaseStatus,
  type Outcome,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import {
  readSecondsNanos,
  UNUSUAL,
  type Unusual,
  varintSize,
  WireReader,
  writeVarint,
} from "./convert-wire.ts";

/*
 * AckRequest read and AckResponse written by hand: every execution passes through both once,
 * and protobuf-es's reflection costs about ten times more per item. The reader takes the shape
 * every client sends (fields 1-3 of AckItem, canonical varints); anything else (unknown fields,
 * groups, a repeated retry_after, negative numbers, truncation) goes to protobuf-es, so every
 * message decodes exactly as fromBinary would have decoded it, errors included.
 */

/** The decoded AckRequest (same value as protobuf-es fromBinary), hand-read where possible. */
export function decodeAckRequest(bytes: Buffer): AckRequest {
  const fast = readAckRequest(new WireReader(bytes));
  return fast === UNUSUAL ? fromBinary(AckRequestSchema, bytes) : fast;
}

function readAckRequest(r: WireReader): AckRequest | Unusual {
  const end = r.buf.length;
  const items: AckItem[] = [];
  while (r.pos < end) {
    // AckRequest.items: field 1, length-delimited.
    if (r.buf[r.pos++] !== 0x0a) return UNUSUAL;
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
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    if (tag === 0x0a) {
      const text = r.string(end);
      if (text === UNUSUAL) return UNUSUAL;
      leaseId = text;
    } else if (tag === 0x10) {
      const value = r.varint(end);
      if (value === UNUSUAL || value > 0x7fffffff) return UNUSUAL;
      outcome = value;
    } else if (tag === 0x1a && retryAfter === undefined) {
      const durationEnd = r.delimited(end);
      if (durationEnd === UNUSUAL) return UNUSUAL;
      const parts = readSecondsNanos(r, durationEnd);
      if (parts === UNUSUAL) return UNUSUAL;
      retryAfter = { $typeName: "google.protobuf.Duration", ...parts };
    } else {
      return UNUSUAL;
    }
  }
  const item: AckItem = { $typeName: "partitura.v1.AckItem", leaseId, outcome: outcome as Outcome };
  if (retryAfter !== undefined) item.retryAfter = retryAfter;
  return item;
}

/** The encoded AckResponse: per item its lease id (from the request) and status, in order. */
export function encodeAckResponse(items: readonly AckItem[], statuses: readonly LeaseStatus[]): AckResponse {
  const lengths = new Array<number>(items.length);
  let total = 0;
  for (let i = 0; i < items.length; i++) {
    const length = Buffer.byteLength((items[i] as AckItem).leaseId);
    lengths[i] = length;
    const size = resultSize(length, statuses[i] as number);
    total += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < items.length; i++) {
    const length = lengths[i] as number;
    const status = statuses[i] as number;
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, resultSize(length, status));
    if (length > 0) {
      out[pos++] = 0x0a;
      pos = writeVarint(out, pos, length);
      pos += out.write((items[i] as AckItem).leaseId, pos, length, "utf8");
    }
    if (status !== 0) {
      out[pos++] = 0x10;
      pos = writeVarint(out, pos, status);
    }
  }
  // bind.ts passes a Buffer through its response serializer untouched.
  return out as unknown as AckResponse;
}

/** Bytes of one AckResult: lease_id (omitted when empty) and status (omitted when 0). */
function resultSize(length: number, status: number): number {
  return (length > 0 ? 1 + varintSize(length) + length : 0) + (status !== 0 ? 1 + varintSize(status) : 0);
}
