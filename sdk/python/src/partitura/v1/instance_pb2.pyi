from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from partitura.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EXECUTION_REASON_BACKFILL: ExecutionReason
EXECUTION_REASON_RETRY: ExecutionReason
EXECUTION_REASON_SCHEDULED: ExecutionReason
EXECUTION_REASON_TRIGGERED: ExecutionReason
EXECUTION_REASON_UNSPECIFIED: ExecutionReason
INSTANCE_STATE_ACTIVE: InstanceState
INSTANCE_STATE_DEAD_LETTERED: InstanceState
INSTANCE_STATE_PAUSED: InstanceState
INSTANCE_STATE_UNSPECIFIED: InstanceState
RUN_OUTCOME_FAILURE: RunOutcome
RUN_OUTCOME_SUCCESS: RunOutcome
RUN_OUTCOME_UNSPECIFIED: RunOutcome

class Instance(_message.Message):
    __slots__ = ["args", "attempt", "created_at", "failures", "history", "last_outcome", "locked_until", "manual_run", "name", "next_run_at", "next_slots", "partition", "partition_key", "pause_note", "paused_at", "runs", "schedule", "state", "task"]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    LAST_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    MANUAL_RUN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_SLOTS_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    PAUSE_NOTE_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    args: _struct_pb2.Struct
    attempt: int
    created_at: _timestamp_pb2.Timestamp
    failures: int
    history: _containers.RepeatedCompositeFieldContainer[Run]
    last_outcome: RunOutcome
    locked_until: _timestamp_pb2.Timestamp
    manual_run: ExecutionReason
    name: str
    next_run_at: _timestamp_pb2.Timestamp
    next_slots: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    partition: int
    partition_key: str
    pause_note: str
    paused_at: _timestamp_pb2.Timestamp
    runs: int
    schedule: _task_pb2.Schedule
    state: InstanceState
    task: str
    def __init__(self, task: _Optional[str] = ..., name: _Optional[str] = ..., partition: _Optional[int] = ..., schedule: _Optional[_Union[_task_pb2.Schedule, _Mapping]] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., next_run_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., locked_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., partition_key: _Optional[str] = ..., state: _Optional[_Union[InstanceState, str]] = ..., pause_note: _Optional[str] = ..., paused_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., runs: _Optional[int] = ..., failures: _Optional[int] = ..., last_outcome: _Optional[_Union[RunOutcome, str]] = ..., next_slots: _Optional[_Iterable[_Union[_timestamp_pb2.Timestamp, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[Run, _Mapping]]] = ..., manual_run: _Optional[_Union[ExecutionReason, str]] = ...) -> None: ...

class InstanceSpec(_message.Message):
    __slots__ = ["args", "name", "partition_key", "schedule"]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    args: _struct_pb2.Struct
    name: str
    partition_key: str
    schedule: _task_pb2.Schedule
    def __init__(self, name: _Optional[str] = ..., schedule: _Optional[_Union[_task_pb2.Schedule, _Mapping]] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., partition_key: _Optional[str] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ["attempt", "delivered_at", "error", "finished_at", "outcome", "reason", "scheduled_at", "worker_id"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    delivered_at: _timestamp_pb2.Timestamp
    error: str
    finished_at: _timestamp_pb2.Timestamp
    outcome: RunOutcome
    reason: ExecutionReason
    scheduled_at: _timestamp_pb2.Timestamp
    worker_id: str
    def __init__(self, scheduled_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., worker_id: _Optional[str] = ..., outcome: _Optional[_Union[RunOutcome, str]] = ..., reason: _Optional[_Union[ExecutionReason, str]] = ..., error: _Optional[str] = ...) -> None: ...

class InstanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ExecutionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RunOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
