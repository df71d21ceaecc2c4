import { create } from "@bufbuild/protobuf";
import {
  ExecutionReason as ExecutionReasonProto,
  type Instance,
  InstanceSchema,
  type InstanceSpec,
  InstanceState,
  type Run,
  RunOutcome as RunOutcomeProto,
  RunSchema,
} from "../../gen/ts/partitura/v1/instance_pb.ts";
import {
  type InstanceRecord,
  type RunHistory,
  type RunOutcome,
  type RunRecord,
  type InstanceState as State,
  stateOf,
} from "../domain/model.ts";
import type { InstanceInput } from "../engine/scheduling.ts";
import { argsToBytes, bytesToArgs } from "./convert-args.ts";
import { reasonToProto } from "./convert-reason.ts";
import { scheduleFromProto, scheduleToProto } from "./convert-schedule.ts";
import { RawArgsSpec } from "./convert-schedule-request.ts";
import { msToTimestamp, optionalTimestamp } from "./convert-time.ts";

const STATES: Record<State, InstanceState> = {
  active: InstanceState.ACTIVE,
  paused: InstanceState.PAUSED,
  dead_lettered: InstanceState.DEAD_LETTERED,
};

/** The i-th InstanceSpec of a Schedule request as an InstanceInput. */
export function instanceInputFromProto(spec: InstanceSpec, i: number): InstanceInput {
  const field = `instances[${i}]`;
  return {
    name: spec.name,
    schedule: scheduleFromProto(`${field}.schedule`, spec.schedule),
    // Args read by hand (convert-schedule-request.ts) are stored as sent, already checked.
    args: spec instanceof RawArgsSpec ? spec.rawArgs : argsToBytes(`${field}.args`, spec.args),
    partitionKey: spec.partitionKey,
  };
}

/** What GetInstance and ListInstances add to a stored instance: its runs, and its next slots. */
export interface InstanceExtras {
  /** Counters always; `recent` only where the call shows history (GetInstance). */
  readonly runs?: RunHistory | undefined;
  readonly withHistory?: boolean;
  readonly nextSlots?: readonly number[];
}

const OUTCOMES: Record<RunOutcome, RunOutcomeProto> = {
  success: RunOutcomeProto.SUCCESS,
  failure: RunOutcomeProto.FAILURE,
};

function runToProto(run: RunRecord): Run {
  return create(RunSchema, {
    scheduledAt: msToTimestamp(run.slot),
    deliveredAt: msToTimestamp(run.deliveredAt),
    finishedAt: msToTimestamp(run.finishedAt),
    attempt: run.attempt,
    workerId: run.worker,
    outcome: OUTCOMES[run.outcome],
    reason: reasonToProto(run.reason),
    error: run.error,
  });
}

/** TRIGGERED or BACKFILL while a manual run is queued or running; UNSPECIFIED otherwise. */
function manualRunOf(instance: InstanceRecord): ExecutionReasonProto {
  const manual = instance.manual;
  if (manual === undefined || manual.state === "done") return ExecutionReasonProto.UNSPECIFIED;
  return reasonToProto(manual.kind);
}

/** A stored instance as the wire Instance. */
export function instanceToProto(instance: InstanceRecord, extras: InstanceExtras = {}): Instance {
  const runs = extras.runs;
  return create(InstanceSchema, {
    task: instance.task,
    name: instance.name,
    partition: instance.partition,
    schedule: scheduleToProto(instance.schedule),
    args: bytesToArgs(instance.args),
    nextRunAt: msToTimestamp(instance.nextRunAt),
    lockedUntil: optionalTimestamp(instance.lockedUntil),
    attempt: instance.attempt,
    createdAt: msToTimestamp(instance.createdAt),
    partitionKey: instance.partitionKey,
    state: STATES[stateOf(instance)],
    pauseNote: instance.paused?.note ?? "",
    pausedAt: instance.paused === undefined ? undefined : msToTimestamp(instance.paused.at),
    runs: BigInt(runs?.runs ?? 0),
    failures: BigInt(runs?.failures ?? 0),
    lastOutcome: runs?.lastOutcome === undefined ? RunOutcomeProto.UNSPECIFIED : OUTCOMES[runs.lastOutcome],
    nextSlots: (extras.nextSlots ?? []).map(msToTimestamp),
    history: extras.withHistory === true ? (runs?.recent ?? []).map(runToProto) : [],
    manualRun: manualRunOf(instance),
  });
}
