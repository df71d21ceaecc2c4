import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AckRequestSchema,
  AckResponseSchema,
  ExecuteResponseSchema,
  LeaseStatus,
} from "../../gen/ts/partitura/v1/execution_service_pb.ts";
import { ScheduleOutcome, ScheduleResponseSchema } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { readAckStatuses, readExecuteResponse, readScheduleOutcomes, writeAckRequest } from "./wire.ts";

/**
 * Proves the bench's hand-rolled wire reader and writer against protobuf-es, so a figure is
 * never the product of a misread message. Throws on the first mismatch.
 */
export function checkWire(): void {
  const slot = 1_767_225_600_123;
  const response = create(ExecuteResponseSchema, {
    executions: [
      { leaseId: "3.7.1.4.taskname-é", task: "task", instance: "name-é", scheduledAt: timestampFromMs(slot) },
      { leaseId: "0.1.1.4.taskx", attempt: 2, scheduledAt: timestampFromMs(slot + 1000) },
    ],
  });
  const seen: [string, number][] = [];
  readExecuteResponse(toBinary(ExecuteResponseSchema, response), (id, at) => {
    seen.push([Buffer.from(id).toString("utf8"), at]);
  });
  expect(
    JSON.stringify(seen) ===
      JSON.stringify([
        ["3.7.1.4.taskname-é", slot],
        ["0.1.1.4.taskx", slot + 1000],
      ]),
    `ExecuteResponse read as ${JSON.stringify(seen)}`,
  );

  const ack = fromBinary(AckRequestSchema, writeAckRequest(seen.map(([id]) => Buffer.from(id))));
  expect(ack.items.map((i) => i.leaseId).join(",") === seen.map(([id]) => id).join(","), "AckRequest");

  const statuses: number[] = [];
  readAckStatuses(
    toBinary(
      AckResponseSchema,
      create(AckResponseSchema, {
        results: [
          { leaseId: "a", status: LeaseStatus.OK },
          { leaseId: "b", status: LeaseStatus.LEASE_LOST },
          { leaseId: "c", status: LeaseStatus.OK },
        ],
      }),
    ),
    statuses,
  );
  expect(statuses[LeaseStatus.OK] === 2 && statuses[LeaseStatus.LEASE_LOST] === 1, "AckResponse");

  const outcomes: number[] = [];
  readScheduleOutcomes(
    toBinary(
      ScheduleResponseSchema,
      create(ScheduleResponseSchema, {
        instances: [{ name: "x" }],
        outcomes: [ScheduleOutcome.CREATED, ScheduleOutcome.CREATED, ScheduleOutcome.LOCKED],
      }),
    ),
    outcomes,
  );
  expect(
    outcomes[ScheduleOutcome.CREATED] === 2 && outcomes[ScheduleOutcome.LOCKED] === 1,
    "ScheduleResponse",
  );
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench wire codec disagrees with protobuf-es: ${what}`);
}
