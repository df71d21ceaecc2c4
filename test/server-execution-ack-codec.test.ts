import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import test from "ava";
import {
  AckItemSchema,
  AckRequestSchema,
  AckResponseSchema,
  LeaseStatus,
  Outcome,
} from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { decodeAckRequest, encodeAckResponse } from "../src/server/execution-ack-codec.ts";

/*
 * Ack requests are read and answers written by hand. Whatever a client sends must decode to
 * exactly what protobuf-es would have decoded (or fail as it fails), and the answer must be
 * the bytes protobuf-es would have written.
 */

const items = [
  create(AckItemSchema, { leaseId: "3.17.99.5.mailsuser-ada" }),
  create(AckItemSchema, { leaseId: "0.1.2.5.mailszürich-名前", outcome: Outcome.SUCCESS }),
  create(AckItemSchema, {
    leaseId: "12.4294967295.281474976710655.5.mailsx",
    outcome: Outcome.FAILURE,
    retryAfter: create(DurationSchema, { seconds: 90n, nanos: 500_000_000 }),
  }),
  create(AckItemSchema, { leaseId: "", outcome: Outcome.FAILURE, retryAfter: create(DurationSchema) }),
];

function bytesOf(message: Parameters<typeof toBinary<typeof AckRequestSchema>>[1]): Buffer {
  return Buffer.from(toBinary(AckRequestSchema, message));
}

test("an ack request decodes as protobuf-es decodes it", (t) => {
  const bytes = bytesOf(create(AckRequestSchema, { items }));
  t.deepEqual(decodeAckRequest(bytes), fromBinary(AckRequestSchema, bytes));
  t.deepEqual(decodeAckRequest(Buffer.alloc(0)), fromBinary(AckRequestSchema, new Uint8Array()));
});

test("unusual encodings (unknown fields, negative enums, repeated fields) decode as protobuf-es decodes them", (t) => {
  const unknownField = Buffer.concat([
    bytesOf(create(AckRequestSchema, { items })),
    Buffer.from([0x10, 0x05]),
  ]);
  const negative = bytesOf(
    create(AckRequestSchema, { items: [create(AckItemSchema, { leaseId: "a", outcome: -1 as Outcome })] }),
  );
  // Two occurrences of one item's lease_id and retry_after: the last id wins, durations merge.
  const repeated = Buffer.from([
    0x0a, 0x0e, 0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62, 0x1a, 0x02, 0x08, 0x05, 0x1a, 0x02, 0x10, 0x07,
  ]);
  for (const bytes of [unknownField, negative, repeated]) {
    t.deepEqual(decodeAckRequest(bytes), fromBinary(AckRequestSchema, bytes));
  }
});

test("malformed requests are refused as protobuf-es refuses them", (t) => {
  const whole = bytesOf(create(AckRequestSchema, { items }));
  const truncated = whole.subarray(0, whole.length - 3);
  const badUtf8 = Buffer.from([0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28]);
  for (const bytes of [truncated, badUtf8]) {
    const expected = t.throws(() => fromBinary(AckRequestSchema, bytes));
    t.throws(() => decodeAckRequest(bytes), { message: expected?.message });
  }
});

test("the ack response is the bytes protobuf-es writes", (t) => {
  const statuses = [LeaseStatus.OK, LeaseStatus.LEASE_LOST, LeaseStatus.NOT_FOUND, LeaseStatus.OK];
  const expected = toBinary(
    AckResponseSchema,
    create(AckResponseSchema, {
      results: items.map((item, i) => ({ leaseId: item.leaseId, status: statuses[i] ?? LeaseStatus.OK })),
    }),
  );
  t.deepEqual(Buffer.from(encodeAckResponse(items, statuses) as unknown as Buffer), Buffer.from(expected));
  t.is((encodeAckResponse([], []) as unknown as Buffer).length, 0);
});
