/*
 * The load generator shares two cores with the server and Redis, so the bench worker does not
 * decode whole messages with protobuf-es: it walks the wire format for the two fields it needs
 * (an execution's lease_id and scheduled_at) and builds acks by copying lease id bytes. The
 * tags come from the generated descriptors (as the server's hand codecs take theirs);
 * checkWire() proves this reader against protobuf-es once per run.
 */

import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  AckItemSchema,
  AckRequestSchema,
  AckResponseSchema,
  AckResultSchema,
  ExecuteResponseSchema,
  ExecutionSchema,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { ScheduleResponseSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { tagByte, tagOf, varintSize, writeVarint } from "../../src/server/convert-wire.ts";

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const EXECUTIONS = tagOf(ExecuteResponseSchema.field.executions);
const LEASE_ID = tagOf(ExecutionSchema.field.leaseId);
const SCHEDULED_AT = tagOf(ExecutionSchema.field.scheduledAt);
const SECONDS = tagOf(TimestampSchema.field.seconds);
const NANOS = tagOf(TimestampSchema.field.nanos);
// Written as one byte each.
const ITEMS = tagByte(AckRequestSchema.field.items);
const ITEM_LEASE_ID = tagByte(AckItemSchema.field.leaseId);
const RESULTS = tagOf(AckResponseSchema.field.results);
const RESULT_STATUS = tagOf(AckResultSchema.field.status);
// Outcomes are packed (wire type LEN) by protobuf-es; a varint-typed tag reads them one by one.
const OUTCOMES_PACKED = tagOf(ScheduleResponseSchema.field.outcomes);
const OUTCOMES_ONE = ScheduleResponseSchema.field.outcomes.number * 8 + VARINT;

/** A cursor over one protobuf message. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error("truncated varint");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  /** Skips the value of a field of wire type `type`. */
  skip(type: number): void {
    if (type === VARINT) this.varint();
    else if (type === I64) this.pos += 8;
    else if (type === LEN) {
      // Read the length first: `this.pos += this.varint()` would add it to the old position.
      const length = this.varint();
      this.pos += length;
    } else if (type === I32) this.pos += 4;
    else throw new Error(`unsupported wire type ${type}`);
  }
}

/** Called once per execution of an ExecuteResponse: its lease id bytes and slot (epoch ms). */
export type ExecutionVisitor = (leaseId: Uint8Array, scheduledAtMs: number) => void;

/** Walks an ExecuteResponse, calling `visit` per execution; returns how many there were. */
export function readExecuteResponse(buf: Uint8Array, visit: ExecutionVisitor): number {
  const r = new Reader(buf, 0, buf.length);
  let count = 0;
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === EXECUTIONS) {
      const length = r.varint();
      readExecution(buf, r.pos, r.pos + length, visit);
      r.pos += length;
      count++;
    } else {
      r.skip(tag & 7);
    }
  }
  return count;
}

function readExecution(buf: Uint8Array, start: number, end: number, visit: ExecutionVisitor): void {
  const r = new Reader(buf, start, end);
  let leaseId: Uint8Array = EMPTY;
  let scheduledAtMs = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === LEASE_ID) {
      const length = r.varint();
      leaseId = buf.subarray(r.pos, r.pos + length);
      r.pos += length;
    } else if (tag === SCHEDULED_AT) {
      const length = r.varint();
      scheduledAtMs = readTimestampMs(buf, r.pos, r.pos + length);
      r.pos += length;
    } else {
      r.skip(tag & 7);
    }
  }
  visit(leaseId, scheduledAtMs);
}

/** A google.protobuf.Timestamp as epoch ms. */
function readTimestampMs(buf: Uint8Array, start: number, end: number): number {
  const r = new Reader(buf, start, end);
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === SECONDS) seconds = r.varint();
    else if (tag === NANOS) nanos = r.varint();
    else r.skip(tag & 7);
  }
  return seconds * 1000 + nanos / 1e6;
}

const EMPTY = new Uint8Array(0);

/** An AckRequest acknowledging every lease id as a success (outcome left unspecified). */
export function writeAckRequest(leaseIds: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const id of leaseIds) {
    const item = 1 + varintSize(id.length) + id.length;
    size += 1 + varintSize(item) + item;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const id of leaseIds) {
    const item = 1 + varintSize(id.length) + id.length;
    out[pos++] = ITEMS;
    pos = writeVarint(out, pos, item);
    out[pos++] = ITEM_LEASE_ID;
    pos = writeVarint(out, pos, id.length);
    out.set(id, pos);
    pos += id.length;
  }
  return out;
}

/** Counts of the lease statuses in an AckResponse, indexed by the LeaseStatus enum value. */
export function readAckStatuses(buf: Uint8Array, counts: number[]): void {
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === RESULTS) {
      const length = r.varint();
      const end = r.pos + length;
      const item = new Reader(buf, r.pos, end);
      let status = 0;
      while (item.pos < end) {
        const t = item.varint();
        if (t === RESULT_STATUS) status = item.varint();
        else item.skip(t & 7);
      }
      counts[status] = (counts[status] ?? 0) + 1;
      r.pos = end;
    } else {
      r.skip(tag & 7);
    }
  }
}

/** Counts of the outcomes in a ScheduleResponse (packed or not), by enum value. */
export function readScheduleOutcomes(buf: Uint8Array, counts: number[]): void {
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === OUTCOMES_PACKED) {
      const length = r.varint();
      const end = r.pos + length;
      while (r.pos < end) {
        const outcome = r.varint();
        counts[outcome] = (counts[outcome] ?? 0) + 1;
      }
    } else if (tag === OUTCOMES_ONE) {
      const outcome = r.varint();
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    } else {
      r.skip(tag & 7);
    }
  }
}
