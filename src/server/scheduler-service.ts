import { create } from "@bufbuild/protobuf";
import {
  BackfillInstancesResponseSchema,
  DeleteTaskResponseSchema,
  DiscardDeadLettersResponseSchema,
  GetInstanceResponseSchema,
  GetPartitionMapResponseSchema,
  GetTaskResponseSchema,
  ListInstancesResponseSchema,
  ListTasksResponseSchema,
  PauseInstancesResponseSchema,
  PutTaskResponseSchema,
  RequeueDeadLettersResponseSchema,
  ResumeInstancesResponseSchema,
  ScheduleMode,
  type SchedulerService,
  TriggerInstancesResponseSchema,
  UnscheduleResponseSchema,
} from "../../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { invalid } from "../domain/errors.ts";
import { scheduledNext } from "../domain/model.ts";
import { upcomingSlots } from "../domain/preview.ts";
import type { PartitionMap } from "../engine/ownership/ownership.ts";
import type { SchedulingService } from "../engine/scheduling.ts";
import type { UpsertMode } from "../store/store.ts";
import type { RequestDecoders, ServiceHandlers } from "./bind.ts";
import { instanceInputFromProto, instanceToProto } from "./convert-instance.ts";
import { manualRunOutcomeToProto } from "./convert-manual.ts";
import {
  deadLetterOutcomeToProto,
  pauseOutcomeToProto,
  resumeOutcomeToProto,
  stateFilterFromProto,
} from "./convert-pause.ts";
import { decodeScheduleRequest } from "./convert-schedule-request.ts";
import {
  checkScheduleReplySize,
  echoDefaultExtra,
  encodeScheduleResponse,
} from "./convert-schedule-response.ts";
import { taskInputFromProto, taskToProto } from "./convert-task.ts";
import { timestampToMs } from "./convert-time.ts";
import { previewSchedule } from "./preview-schedule.ts";

/** A call that names a partition names no instances. */
function noNames(names: readonly string[]): void {
  if (names.length > 0) throw invalid("names", "must be empty when partition is set");
}

/** How many next slots GetInstance shows. */
const NEXT_SLOTS = 10;

/** The owners of a task's partitions, for GetPartitionMap (the Ownership's map). */
export type PartitionMapOf = (task: string, partitionCount: number) => PartitionMap;

/** Schedule requests are read by hand, args kept as sent (convert-schedule-request.ts). */
export const schedulerRequestDecoders: RequestDecoders<typeof SchedulerService.method> = {
  schedule: decodeScheduleRequest,
};

/** The SchedulerService handlers: wire <-> domain conversion around SchedulingService. */
export function schedulerHandlers(
  scheduling: SchedulingService,
  partitionMap: PartitionMapOf,
): ServiceHandlers<typeof SchedulerService.method> {
  return {
    async putTask(request) {
      const task = await scheduling.putTask(taskInputFromProto(request.task));
      return create(PutTaskResponseSchema, { task: taskToProto(task) });
    },
    async getTask(request) {
      const task = await scheduling.getTask(request.name);
      return create(GetTaskResponseSchema, { task: taskToProto(task) });
    },
    async listTasks(request) {
      const page = await scheduling.listTasks(request.pageSize, request.pageToken);
      return create(ListTasksResponseSchema, {
        tasks: page.items.map(taskToProto),
        nextPageToken: page.nextPageToken,
      });
    },
    async deleteTask(request) {
      await scheduling.deleteTask(request.name);
      return create(DeleteTaskResponseSchema);
    },
    async schedule(request) {
      const inputs = request.instances.map(instanceInputFromProto);
      const results = await scheduling.schedule(request.task, inputs, upsertMode(request.mode), (task) => {
        // The decoder bounded instances sent without a schedule by a plain default (no jitter
        // or bounds): a task whose default has them is checked again with what they add.
        const extra = echoDefaultExtra(task.schedule);
        if (extra > 0) checkScheduleReplySize(request, extra);
      });
      return encodeScheduleResponse(results);
    },
    async unschedule(request) {
      const removed = await scheduling.unschedule(request.task, request.names, request.partitionKey);
      return create(UnscheduleResponseSchema, { removed });
    },
    async getInstance(request) {
      const instance = await scheduling.getInstance(request.task, request.name, request.partitionKey);
      const [runs] = await scheduling.runsOf(instance.task, [instance]);
      // While a manual run is armed, next_run_at is its slot: the schedule's own come after it.
      const nextSlots = upcomingSlots(instance.schedule, scheduledNext(instance), NEXT_SLOTS);
      return create(GetInstanceResponseSchema, {
        instance: instanceToProto(instance, { runs, withHistory: true, nextSlots }),
      });
    },
    async listInstances(request) {
      const page = await scheduling.listInstances(
        request.task,
        request.partition,
        request.pageSize,
        request.pageToken,
        stateFilterFromProto("state", request.state),
      );
      // One read of the page's counters (last outcome, runs, failures) beside the instances.
      const runs = await scheduling.runsOf(request.task, page.items);
      return create(ListInstancesResponseSchema, {
        instances: page.items.map((instance, i) => instanceToProto(instance, { runs: runs[i] })),
        nextPageToken: page.nextPageToken,
      });
    },
    previewSchedule(request) {
      return previewSchedule(scheduling, request);
    },
    async getPartitionMap(request) {
      const task = await scheduling.getTask(request.task, "task");
      const map = partitionMap(task.name, task.partitionCount);
      return create(GetPartitionMapResponseSchema, {
        replicas: map.replicas.map((r) => ({ address: r.address, partitions: [...r.partitions] })),
        version: map.version,
      });
    },
    async pauseInstances(request) {
      if (request.partition !== undefined) {
        noNames(request.names);
        const changed = await scheduling.pausePartition(request.task, request.partition, request.note);
        return create(PauseInstancesResponseSchema, { changed });
      }
      const target = { names: request.names, partitionKey: request.partitionKey };
      const outcomes = await scheduling.pause(request.task, target, request.note);
      return create(PauseInstancesResponseSchema, {
        outcomes: outcomes.map(pauseOutcomeToProto),
        changed: outcomes.filter((outcome) => outcome === "paused").length,
      });
    },
    async resumeInstances(request) {
      if (request.partition !== undefined) {
        noNames(request.names);
        const changed = await scheduling.resumePartition(request.task, request.partition, request.skipMissed);
        return create(ResumeInstancesResponseSchema, { changed });
      }
      const target = { names: request.names, partitionKey: request.partitionKey };
      const outcomes = await scheduling.resume(request.task, target, request.skipMissed);
      return create(ResumeInstancesResponseSchema, {
        outcomes: outcomes.map(resumeOutcomeToProto),
        changed: outcomes.filter((outcome) => outcome === "resumed").length,
      });
    },
    async requeueDeadLetters(request) {
      const target = { names: request.names, partitionKey: request.partitionKey };
      const outcomes = await scheduling.requeueDeadLetters(request.task, target);
      return create(RequeueDeadLettersResponseSchema, { outcomes: outcomes.map(deadLetterOutcomeToProto) });
    },
    async discardDeadLetters(request) {
      const target = { names: request.names, partitionKey: request.partitionKey };
      const outcomes = await scheduling.discardDeadLetters(request.task, target);
      return create(DiscardDeadLettersResponseSchema, { outcomes: outcomes.map(deadLetterOutcomeToProto) });
    },
    async triggerInstances(request) {
      const target = { names: request.names, partitionKey: request.partitionKey };
      const result = await scheduling.trigger(request.task, target, request.requestId);
      return create(TriggerInstancesResponseSchema, {
        outcomes: result.outcomes.map(manualRunOutcomeToProto),
        requestId: result.requestId,
      });
    },
    async backfillInstances(request) {
      const target = { names: request.names, partitionKey: request.partitionKey };
      const window = {
        startMs: request.start === undefined ? Number.NaN : timestampToMs("start", request.start),
        endMs: request.end === undefined ? Number.NaN : timestampToMs("end", request.end),
      };
      const result = await scheduling.backfill(request.task, target, window, request.requestId);
      return create(BackfillInstancesResponseSchema, {
        outcomes: result.outcomes.map(manualRunOutcomeToProto),
        slots: result.slots,
        requestId: result.requestId,
      });
    },
  };
}

function upsertMode(mode: ScheduleMode): UpsertMode {
  switch (mode) {
    case ScheduleMode.UNSPECIFIED:
    case ScheduleMode.SAFE:
      return "safe";
    case ScheduleMode.FORCE:
      return "force";
    default:
      throw invalid("mode", `${mode} is not a known ScheduleMode`);
  }
}
