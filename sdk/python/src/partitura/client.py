"""The Client: every SchedulerService call (and the lease calls) with deadlines, retries and one error type."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Iterator, Optional, Sequence, TypeVar, Union, cast

from partitura.v1 import execution_service_pb2 as ex, instance_pb2, scheduler_service_pb2 as sc, task_pb2

from . import retry
from ._rpc import SCHEDULER, ExecutionRpcs, Unary
from .connection import Connection
from .manual_runs import BackfillResult, TriggerResult, request_id_of
from .messages import EnumValue, enum_value, task
from .schedules import timestamp

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
"""Seconds a unary call may take unless told otherwise: a hung server fails a call instead of hanging it."""


class Client:
    """A client of one Partitura server (or a load balancer in front of replicas).

    Every call has a deadline (`timeout`, default 30 s). Calls that are safe to repeat (reads,
    PutTask, Ack, ExtendLeases) are retried with backoff and jitter on UNAVAILABLE; Schedule,
    Unschedule and DeleteTask are not (a repeat would report a different outcome). Every failure
    raises PartituraError with the gRPC code and the server's message.
    """

    def __init__(
        self,
        address: str,
        *,
        connection: Optional[Connection] = None,
        tls: bool = False,
        token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry_policy: retry.RetryPolicy = retry.RetryPolicy(),
    ) -> None:
        self.address = address
        self.connection = connection or Connection(tls=tls, token=token)
        self._channel = self.connection.channel(address)
        self._scheduler = _SchedulerRpcs(self._channel)
        self._execution = ExecutionRpcs(self._channel)
        self._timeout = timeout
        self._retry = retry_policy

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel; calls in flight fail with CANCELLED."""
        self._channel.close()

    # Tasks

    def put_task(self, definition: Union[task_pb2.Task, str], **fields: Any) -> task_pb2.Task:
        """Creates or replaces a task: a Task message, or a name and the keyword arguments of
        `partitura.task` (dynamic=, schedule=, partition_count=, lease_duration=, ...)."""
        message = definition if isinstance(definition, task_pb2.Task) else task(definition, **fields)
        return self._unary(self._scheduler.put_task, sc.PutTaskRequest(task=message), True).task

    def get_task(self, name: str) -> task_pb2.Task:
        return self._unary(self._scheduler.get_task, sc.GetTaskRequest(name=name), True).task

    def list_tasks(self, page_size: int = 0) -> Iterator[task_pb2.Task]:
        """Every task, fetched a page at a time."""
        token = ""
        while True:
            page = self._unary(self._scheduler.list_tasks, sc.ListTasksRequest(page_size=page_size, page_token=token), True)
            yield from page.tasks
            token = page.next_page_token
            if not token:
                return

    def delete_task(self, name: str) -> None:
        """Deletes a task and every instance of it."""
        self._unary(self._scheduler.delete_task, sc.DeleteTaskRequest(name=name), False)

    # Instances

    def schedule(
        self, task_name: str, instances: Iterable[instance_pb2.InstanceSpec], mode: EnumValue = "safe"
    ) -> sc.ScheduleResponse:
        """Creates or updates instances (build them with `partitura.instance`); `mode` is "safe"
        (keep the sooner due time, leave locked instances) or "force" (overwrite and unlock).
        The response has one instance and one outcome per spec, in order."""
        request = sc.ScheduleRequest(
            task=task_name,
            instances=list(instances),
            mode=cast(Any, enum_value(sc.ScheduleMode, "SCHEDULE_MODE_", mode)),
        )
        return self._unary(self._scheduler.schedule, request, False)

    def unschedule(self, task_name: str, names: Sequence[str], partition_key: str = "") -> int:
        """Removes instances at once; returns how many existed."""
        request = sc.UnscheduleRequest(task=task_name, names=list(names), partition_key=partition_key)
        return int(self._unary(self._scheduler.unschedule, request, False).removed)

    def get_instance(self, task_name: str, name: str, partition_key: str = "") -> instance_pb2.Instance:
        request = sc.GetInstanceRequest(task=task_name, name=name, partition_key=partition_key)
        return self._unary(self._scheduler.get_instance, request, True).instance

    def list_instances(
        self, task_name: str, partition: Optional[int] = None, page_size: int = 0, state: str = ""
    ) -> Iterator[instance_pb2.Instance]:
        """Every instance of a task (or of one partition, or in one `state`: "active", "paused" or
        "dead_lettered", the task's dead-letter list), fetched a page at a time."""
        token = ""
        state_value = enum_value(instance_pb2.InstanceState, "INSTANCE_STATE_", state) if state else 0
        while True:
            request = sc.ListInstancesRequest(
                task=task_name, page_size=page_size, page_token=token, state=cast(Any, state_value)
            )
            if partition is not None:
                request.partition = partition
            page = self._unary(self._scheduler.list_instances, request, True)
            yield from page.instances
            token = page.next_page_token
            if not token:
                return

    def get_partition_map(self, task_name: str) -> sc.GetPartitionMapResponse:
        """Which replica (address) serves which partitions of a task, and the map's version."""
        return self._unary(self._scheduler.get_partition_map, sc.GetPartitionMapRequest(task=task_name), True)

    # Leases (the Worker does these itself; here for workers of your own)

    def ack(self, items: Sequence[ex.AckItem]) -> ex.AckResponse:
        """Acknowledges executions; idempotent, so it is retried."""
        return self._unary(self._execution.ack, ex.AckRequest(items=list(items)), True)

    def extend_leases(self, items: Sequence[ex.ExtendItem]) -> ex.ExtendLeasesResponse:
        """Heartbeats: keeps leases of long executions."""
        return self._unary(self._execution.extend_leases, ex.ExtendLeasesRequest(items=list(items)), True)

    def _unary(self, method: Unary[Any, T], request: Any, idempotent: bool) -> T:
        policy = self._retry if idempotent else retry.NO_RETRY
        metadata = self.connection.metadata()
        return retry.call(policy, lambda: method(request, timeout=self._timeout, metadata=metadata))

    # Pause and resume (issue 14); a retry is harmless (ALREADY_PAUSED / NOT_PAUSED)

    def pause(self, task_name: str, names: Sequence[str], note: str = "", partition_key: str = "") -> list[str]:
        """Pauses instances: never delivered until resumed (one running finishes). `note` says
        who and why (at most 500 bytes; kept and shown by get_instance). Returns one outcome per
        name: "paused", "already_paused" (the first pause and note stay) or "not_found"."""
        request = sc.PauseInstancesRequest(task=task_name, names=list(names), note=note, partition_key=partition_key)
        response = self._unary(self._scheduler.pause_instances, request, True)
        return [_outcome(sc.PauseOutcome, "PAUSE_OUTCOME_", o) for o in response.outcomes]

    def resume(
        self, task_name: str, names: Sequence[str], skip_missed: bool = False, partition_key: str = ""
    ) -> list[str]:
        """Resumes paused instances: the task's misfire policy decides about the slots they
        missed, or with `skip_missed` they continue at the first slot after now. Returns one
        outcome per name: "resumed", "not_paused" or "not_found"."""
        request = sc.ResumeInstancesRequest(
            task=task_name, names=list(names), skip_missed=skip_missed, partition_key=partition_key
        )
        response = self._unary(self._scheduler.resume_instances, request, True)
        return [_outcome(sc.ResumeOutcome, "RESUME_OUTCOME_", o) for o in response.outcomes]

    def pause_partition(self, task_name: str, partition: int, note: str = "") -> int:
        """Pauses every active instance of one partition (a large one takes a while); returns
        how many it paused."""
        request = sc.PauseInstancesRequest(task=task_name, partition=partition, note=note)
        return self._unary(self._scheduler.pause_instances, request, True).changed

    def resume_partition(self, task_name: str, partition: int, skip_missed: bool = False) -> int:
        """Resumes every paused instance of one partition (dead letters stay); returns how
        many it resumed."""
        request = sc.ResumeInstancesRequest(task=task_name, partition=partition, skip_missed=skip_missed)
        return self._unary(self._scheduler.resume_instances, request, True).changed

    # Dead letters (issue 14); a retry answers NOT_DEAD_LETTERED for what the first brought back

    def requeue_dead_letters(self, task_name: str, names: Sequence[str], partition_key: str = "") -> list[str]:
        """Runs dead letters again at the slot that failed, with a fresh retry budget. Returns
        one outcome per name: "done", "not_dead_lettered" or "not_found"."""
        request = sc.RequeueDeadLettersRequest(task=task_name, names=list(names), partition_key=partition_key)
        response = self._unary(self._scheduler.requeue_dead_letters, request, True)
        return [_outcome(sc.DeadLetterOutcome, "DEAD_LETTER_OUTCOME_", o) for o in response.outcomes]

    def discard_dead_letters(self, task_name: str, names: Sequence[str], partition_key: str = "") -> list[str]:
        """Gives the failed slot of dead letters up: each continues at its first slot after now;
        a one-off is removed. Returns one outcome per name, as requeue_dead_letters."""
        request = sc.DiscardDeadLettersRequest(task=task_name, names=list(names), partition_key=partition_key)
        response = self._unary(self._scheduler.discard_dead_letters, request, True)
        return [_outcome(sc.DeadLetterOutcome, "DEAD_LETTER_OUTCOME_", o) for o in response.outcomes]

    # Manual runs (issue 14); retried safely: a repeat with the same request id answers "duplicate"

    def trigger(
        self, task_name: str, names: Sequence[str], request_id: Optional[str] = None, partition_key: str = ""
    ) -> TriggerResult:
        """Runs instances once now, outside their schedule (the execution's reason is
        "triggered"); their next slot stays where it was. `request_id` (1 to 64 bytes; default
        one made here) makes it idempotent: the same id again runs nothing twice. Returns the
        request id and one outcome per name: "accepted", "queued" (runs once the execution in
        flight is settled), "duplicate", "busy" (another trigger or backfill has not finished),
        "not_active" (paused or dead-lettered) or "not_found"."""
        request = sc.TriggerInstancesRequest(
            task=task_name, names=list(names), request_id=request_id_of(request_id), partition_key=partition_key
        )
        response = self._unary(self._scheduler.trigger_instances, request, True)
        outcomes = [_outcome(sc.ManualRunOutcome, "MANUAL_RUN_OUTCOME_", o) for o in response.outcomes]
        return TriggerResult(request_id=response.request_id, outcomes=outcomes)

    def backfill(
        self,
        task_name: str,
        names: Sequence[str],
        start: datetime,
        end: datetime,
        request_id: Optional[str] = None,
        partition_key: str = "",
    ) -> BackfillResult:
        """Runs the slots of each instance's schedule after `start` and at or before `end` (aware
        datetimes; `end` not in the future), oldest first and one at a time (reason "backfill");
        then the instance goes on at its next slot. At most 1,000 slots an instance a call: more
        raises PartituraError(INVALID_ARGUMENT) naming `end`. Outcomes as trigger, plus
        "no_slots" (none in the range), and per name the number of slots it will run."""
        request = sc.BackfillInstancesRequest(
            task=task_name,
            names=list(names),
            start=timestamp(start, "start"),
            end=timestamp(end, "end"),
            request_id=request_id_of(request_id),
            partition_key=partition_key,
        )
        response = self._unary(self._scheduler.backfill_instances, request, True)
        outcomes = [_outcome(sc.ManualRunOutcome, "MANUAL_RUN_OUTCOME_", o) for o in response.outcomes]
        return BackfillResult(request_id=response.request_id, outcomes=outcomes, slots=list(response.slots))

    # Preview

    def preview(
        self,
        task_name: str = "",
        instance: str = "",
        *,
        schedule: Optional[task_pb2.Schedule] = None,
        partition_key: str = "",
        start: Optional[datetime] = None,
        count: int = 0,
    ) -> sc.PreviewScheduleResponse:
        """The next slots (PreviewSchedule) of `schedule`, or of the stored instance `instance` of
        `task_name` (a static task's own when `instance` is empty), as the engine will run them:
        each slot's `at`, its jittered `deliver_at` when the schedule has jitter, and its DST mark
        (`dst`: SLOT_DST_MARK_MOVED, _MERGED, _REPEATED). `start` (aware) defaults to now for a
        schedule and to the instance's next_run_at; `count` 0 means 10, at most 100. A read, retried."""
        request = sc.PreviewScheduleRequest(
            task=task_name, instance=instance, partition_key=partition_key, count=count
        )
        if schedule is not None:
            request.schedule.CopyFrom(schedule)
        if start is not None:
            # `from` is a Python keyword, so the field is reached by name.
            getattr(request, "from").CopyFrom(timestamp(start))
        return self._unary(self._scheduler.preview_schedule, request, True)


def _outcome(enum: Any, prefix: str, value: int) -> str:
    """An outcome enum value as its lower-case name without the prefix: "already_paused"."""
    return str(enum.Name(value)).removeprefix(prefix).lower()


class _SchedulerRpcs:
    """SchedulerService on one channel."""

    def __init__(self, channel: Any) -> None:
        def bind(name: str, parse: Any) -> Any:
            return Unary(channel, SCHEDULER + name, parse)

        self.put_task: Unary[sc.PutTaskRequest, sc.PutTaskResponse] = bind("PutTask", sc.PutTaskResponse.FromString)
        self.get_task: Unary[sc.GetTaskRequest, sc.GetTaskResponse] = bind("GetTask", sc.GetTaskResponse.FromString)
        self.list_tasks: Unary[sc.ListTasksRequest, sc.ListTasksResponse] = bind(
            "ListTasks", sc.ListTasksResponse.FromString
        )
        self.delete_task: Unary[sc.DeleteTaskRequest, sc.DeleteTaskResponse] = bind(
            "DeleteTask", sc.DeleteTaskResponse.FromString
        )
        self.schedule: Unary[sc.ScheduleRequest, sc.ScheduleResponse] = bind("Schedule", sc.ScheduleResponse.FromString)
        self.unschedule: Unary[sc.UnscheduleRequest, sc.UnscheduleResponse] = bind(
            "Unschedule", sc.UnscheduleResponse.FromString
        )
        self.get_instance: Unary[sc.GetInstanceRequest, sc.GetInstanceResponse] = bind(
            "GetInstance", sc.GetInstanceResponse.FromString
        )
        self.list_instances: Unary[sc.ListInstancesRequest, sc.ListInstancesResponse] = bind(
            "ListInstances", sc.ListInstancesResponse.FromString
        )
        self.get_partition_map: Unary[sc.GetPartitionMapRequest, sc.GetPartitionMapResponse] = bind(
            "GetPartitionMap", sc.GetPartitionMapResponse.FromString
        )
        self.pause_instances: Unary[sc.PauseInstancesRequest, sc.PauseInstancesResponse] = bind(
            "PauseInstances", sc.PauseInstancesResponse.FromString
        )
        self.resume_instances: Unary[sc.ResumeInstancesRequest, sc.ResumeInstancesResponse] = bind(
            "ResumeInstances", sc.ResumeInstancesResponse.FromString
        )
        self.requeue_dead_letters: Unary[sc.RequeueDeadLettersRequest, sc.RequeueDeadLettersResponse] = bind(
            "RequeueDeadLetters", sc.RequeueDeadLettersResponse.FromString
        )
        self.discard_dead_letters: Unary[sc.DiscardDeadLettersRequest, sc.DiscardDeadLettersResponse] = bind(
            "DiscardDeadLetters", sc.DiscardDeadLettersResponse.FromString
        )
        self.trigger_instances: Unary[sc.TriggerInstancesRequest, sc.TriggerInstancesResponse] = bind(
            "TriggerInstances", sc.TriggerInstancesResponse.FromString
        )
        self.backfill_instances: Unary[sc.BackfillInstancesRequest, sc.BackfillInstancesResponse] = bind(
            "BackfillInstances", sc.BackfillInstancesResponse.FromString
        )
        self.preview_schedule: Unary[sc.PreviewScheduleRequest, sc.PreviewScheduleResponse] = bind(
            "PreviewSchedule", sc.PreviewScheduleResponse.FromString
        )
