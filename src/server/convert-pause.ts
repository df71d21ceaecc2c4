import { PauseOutcome, ResumeOutcome } from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type {
  PauseOutcome as StorePauseOutcome,
  ResumeOutcome as StoreResumeOutcome,
} from "../store/store.ts";

const pauseOutcomes: Record<StorePauseOutcome, PauseOutcome> = {
  paused: PauseOutcome.PAUSED,
  already_paused: PauseOutcome.ALREADY_PAUSED,
  not_found: PauseOutcome.NOT_FOUND,
};

const resumeOutcomes: Record<StoreResumeOutcome, ResumeOutcome> = {
  resumed: ResumeOutcome.RESUMED,
  not_paused: ResumeOutcome.NOT_PAUSED,
  not_found: ResumeOutcome.NOT_FOUND,
};

/** What PauseInstances did with one instance, as the wire enum. */
export function pauseOutcomeToProto(outcome: StorePauseOutcome): PauseOutcome {
  return pauseOutcomes[outcome];
}

/** What ResumeInstances did with one instance, as the wire enum. */
export function resumeOutcomeToProto(outcome: StoreResumeOutcome): ResumeOutcome {
  return resumeOutcomes[outcome];
}
