import { ManualRunOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { ManualRunOutcome as EngineManualRunOutcome } from "../engine/scheduling-manual.ts";

const outcomes: Record<EngineManualRunOutcome, ManualRunOutcome> = {
  accepted: ManualRunOutcome.ACCEPTED,
  queued: ManualRunOutcome.QUEUED,
  duplicate: ManualRunOutcome.DUPLICATE,
  busy: ManualRunOutcome.BUSY,
  not_active: ManualRunOutcome.NOT_ACTIVE,
  not_found: ManualRunOutcome.NOT_FOUND,
  no_slots: ManualRunOutcome.NO_SLOTS,
};

/** What TriggerInstances or BackfillInstances did with one instance, as the wire enum. */
export function manualRunOutcomeToProto(outcome: EngineManualRunOutcome): ManualRunOutcome {
  return outcomes[outcome];
}
