import { create } from "@bufbuild/protobuf";
import {
  type PreviewScheduleRequest,
  type PreviewScheduleResponse,
  PreviewScheduleResponseSchema,
  SlotDstMark,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import type { DstMark } from "../domain/cron-next.ts";
import { invalid } from "../domain/errors.ts";
import { RunLimits } from "../domain/max-runs.ts";
import type { ScheduleSpec } from "../domain/model.ts";
import { checkName } from "../domain/names.ts";
import {
  freshStart,
  type PreviewedSlot,
  previewCount,
  previewSlots,
  storedStart,
} from "../domain/preview.ts";
import { checkInstant, checkSchedule } from "../domain/schedule.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import { scheduleFromProto, scheduleToProto } from "./convert-schedule.ts";
import { msToTimestamp, timestampToMs } from "./convert-time.ts";

/**
 * PreviewSchedule: the next slots of a schedule (checked as Schedule checks one, fields named
 * `schedule.*`) or of a stored instance, computed by src/domain/preview.ts. A read: it
 * changes nothing.
 */
export async function previewSchedule(
  scheduling: SchedulingService,
  request: PreviewScheduleRequest,
): Promise<PreviewScheduleResponse> {
  const count = previewCount(request.count);
  const from = request.from === undefined ? undefined : fromInstant(timestampToMs("from", request.from));
  if (request.task !== "") checkName("task", request.task);
  if (request.instance !== "") checkName("instance", request.instance);
  if (request.partitionKey !== "") checkName("partition_key", request.partitionKey);
  const key = { task: request.task, instance: request.instance };

  if (request.schedule !== undefined) {
    const spec = scheduleFromProto("schedule", request.schedule);
    if (spec === undefined) throw invalid("schedule", "must be set");
    const start = from ?? scheduling.now();
    checkSchedule("schedule", spec, start);
    // As Schedule would store it: max_runs turned into end_at, counted from the first slot.
    const first = freshStart(spec, start);
    const stored = new RunLimits().bound("schedule", spec, first);
    return reply(stored, previewSlots(stored, key, first, count));
  }

  if (request.task === "")
    throw invalid("task", "is required when schedule is unset (name a stored instance)");
  const task = await scheduling.getTask(request.task, "task");
  let name = request.instance;
  if (name === "") {
    if (task.dynamic) {
      throw invalid(
        "instance",
        `is required: task ${JSON.stringify(task.name)} is dynamic (or send a schedule)`,
      );
    }
    // A static task's one instance is named after it.
    name = task.name;
  }
  const instance = await scheduling.instanceOf(task, name, request.partitionKey, "instance");
  const spec = instance.schedule;
  const start = storedStart(spec, instance.nextRunAt, from);
  return reply(spec, previewSlots(spec, { task: task.name, instance: name }, start, count));
}

/** `from` within the instants the stores can hold. */
function fromInstant(ms: number): number {
  checkInstant("from", ms);
  return ms;
}

function reply(spec: ScheduleSpec, slots: readonly PreviewedSlot[]): PreviewScheduleResponse {
  return create(PreviewScheduleResponseSchema, {
    schedule: scheduleToProto(spec),
    slots: slots.map((slot) => ({
      at: msToTimestamp(slot.at),
      ...(slot.deliverAt === undefined ? {} : { deliverAt: msToTimestamp(slot.deliverAt) }),
      dst: DST_MARKS[slot.dst],
      localTime: slot.localTime ?? "",
    })),
  });
}

const DST_MARKS: Readonly<Record<DstMark, SlotDstMark>> = {
  none: SlotDstMark.UNSPECIFIED,
  moved: SlotDstMark.MOVED,
  merged: SlotDstMark.MERGED,
  repeated: SlotDstMark.REPEATED,
};
