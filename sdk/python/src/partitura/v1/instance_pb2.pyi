from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from partitura.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

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
    __slots__ = ["args", "attempt", "created_at", "locked_until", "name", "next_run_at", "partition", "partition_key", "pause_note", "paused_at", "schedule", "state", "task"]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_AT_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    PAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    PAUSE_NOTE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    args: _struct_pb2.Struct
    attempt: int
    created_at: _timestamp_pb2.Timestamp
    locked_until: _timestamp_pb2.Timestamp
    name: str
    next_run_at: _timestamp_pb2.Timestamp
    partition: int
    partition_key: str
    pause_note: str
    paused_at: _timestamp_pb2.Timestamp
    schedule: _task_pb2.Schedule
    state: InstanceState
    task: str
    def __init__(self, task: _Optional[str] = ..., name: _Optional[str] = ..., partition: _Optional[int] = ..., schedule: _Optional[_Union[_task_pb2.Schedule, _Mapping]] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., next_run_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., locked_until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., partition_key: _Optional[str] = ..., state: _Optional[_Union[InstanceState, str]] = ..., pause_note: _Optional[str] = ..., paused_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

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

class InstanceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ExecutionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class RunOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
