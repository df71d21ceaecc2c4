import { ExecutionReason as ExecutionReasonProto } from "../../gen/ts/partitura/v1/instance_pb.ts";
import type { ExecutionReason } from "../domain/model.ts";

const reasons: Record<ExecutionReason, ExecutionReasonProto> = {
  scheduled: ExecutionReasonProto.SCHEDULED,
  retry: ExecutionReasonProto.RETRY,
  triggered: ExecutionReasonProto.TRIGGERED,
  backfill: ExecutionReasonProto.BACKFILL,
};

/** Why an execution runs, as the wire enum (Execution.reason, Run.reason). */
export function reasonToProto(reason: ExecutionReason): ExecutionReasonProto {
  return reasons[reason];
}
