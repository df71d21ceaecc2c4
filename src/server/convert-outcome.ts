import { ScheduleOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { UpsertResult } from "../store/store.ts";

const outcomes: Record<UpsertResult["outcome"], ScheduleOutcome> = {
  created: ScheduleOutcome.CREATED,
  updated: ScheduleOutcome.UPDATED,
  locked: ScheduleOutcome.LOCKED,
};

/** What Schedule did with one instance, as the wire enum. */
export function outcomeToProto(outcome: UpsertResult["outcome"]): ScheduleOutcome {
  return outcomes[outcome];
}
