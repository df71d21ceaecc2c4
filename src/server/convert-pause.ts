import { InstanceState as InstanceStateProto } from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  DeadLetterOutcome,
  PauseOutcome,
  ResumeOutcome,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { invalid } from "../domain/errors.ts";
import type { InstanceState } from "../domain/model.ts";
import type { DeadLetterOutcome as EngineDeadLetterOutcome } from "../engine/scheduling-pause.ts";
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

const deadLetterOutcomes: Record<EngineDeadLetterOutcome, DeadLetterOutcome> = {
  done: DeadLetterOutcome.DONE,
  not_dead_lettered: DeadLetterOutcome.NOT_DEAD_LETTERED,
  not_found: DeadLetterOutcome.NOT_FOUND,
};

/** What RequeueDeadLetters or DiscardDeadLetters did with one instance, as the wire enum. */
export function deadLetterOutcomeToProto(outcome: EngineDeadLetterOutcome): DeadLetterOutcome {
  return deadLetterOutcomes[outcome];
}

const states = new Map<number, InstanceState>([
  [InstanceStateProto.ACTIVE, "active"],
  [InstanceStateProto.PAUSED, "paused"],
  [InstanceStateProto.DEAD_LETTERED, "dead_lettered"],
]);

/** ListInstancesRequest.state as a filter: undefined for UNSPECIFIED (every state). */
export function stateFilterFromProto(field: string, state: number): InstanceState | undefined {
  if (state === InstanceStateProto.UNSPECIFIED) return undefined;
  const mapped = states.get(state);
  if (mapped === undefined) throw invalid(field, `${state} is not a known InstanceState`);
  return mapped;
}
