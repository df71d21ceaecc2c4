from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EXECUTION_MODE_AT_LEAST_ONCE: ExecutionMode
EXECUTION_MODE_AT_MOST_ONCE: ExecutionMode
EXECUTION_MODE_UNSPECIFIED: ExecutionMode
FAILURE_MODE_COMMIT: FailureMode
FAILURE_MODE_NONE: FailureMode
FAILURE_MODE_UNLOCK: FailureMode
FAILURE_MODE_UNSPECIFIED: FailureMode
MISFIRE_POLICY_CATCH_UP: MisfirePolicy
MISFIRE_POLICY_FAST_FORWARD: MisfirePolicy
MISFIRE_POLICY_SKIP: MisfirePolicy
MISFIRE_POLICY_UNSPECIFIED: MisfirePolicy
ON_EXHAUSTED_CONTINUE: OnExhausted
ON_EXHAUSTED_DEAD_LETTER: OnExhausted
ON_EXHAUSTED_PAUSE: OnExhausted
ON_EXHAUSTED_UNSPECIFIED: OnExhausted

class RetryPolicy(_message.Message):
    __slots__ = ["backoff_coefficient", "initial_interval", "jitter", "max_attempts", "max_interval", "on_exhausted"]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    INITIAL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    JITTER_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    ON_EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    backoff_coefficient: float
    initial_interval: _duration_pb2.Duration
    jitter: _duration_pb2.Duration
    max_attempts: int
    max_interval: _duration_pb2.Duration
    on_exhausted: OnExhausted
    def __init__(self, max_attempts: _Optional[int] = ..., initial_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., backoff_coefficient: _Optional[float] = ..., max_interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., jitter: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., on_exhausted: _Optional[_Union[OnExhausted, str]] = ...) -> None: ...

class Schedule(_message.Message):
    __slots__ = ["at", "cron", "end_at", "interval", "jitter", "max_runs", "start_at", "timezone"]
    AT_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    END_AT_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    JITTER_FIELD_NUMBER: _ClassVar[int]
    MAX_RUNS_FIELD_NUMBER: _ClassVar[int]
    START_AT_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    cron: str
    end_at: _timestamp_pb2.Timestamp
    interval: _duration_pb2.Duration
    jitter: _duration_pb2.Duration
    max_runs: int
    start_at: _timestamp_pb2.Timestamp
    timezone: str
    def __init__(self, cron: _Optional[str] = ..., interval: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[str] = ..., jitter: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., start_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., max_runs: _Optional[int] = ...) -> None: ...

class Task(_message.Message):
    __slots__ = ["default_args", "dynamic", "enabled", "execution_mode", "failure_mode", "history_limit", "lease_duration", "misfire_grace", "misfire_policy", "name", "partition_count", "retry_policy", "schedule"]
    DEFAULT_ARGS_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_MODE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MODE_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEASE_DURATION_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_GRACE_FIELD_NUMBER: _ClassVar[int]
    MISFIRE_POLICY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITION_COUNT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    default_args: _struct_pb2.Struct
    dynamic: bool
    enabled: bool
    execution_mode: ExecutionMode
    failure_mode: FailureMode
    history_limit: int
    lease_duration: _duration_pb2.Duration
    misfire_grace: _duration_pb2.Duration
    misfire_policy: MisfirePolicy
    name: str
    partition_count: int
    retry_policy: RetryPolicy
    schedule: Schedule
    def __init__(self, name: _Optional[str] = ..., dynamic: bool = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., partition_count: _Optional[int] = ..., execution_mode: _Optional[_Union[ExecutionMode, str]] = ..., failure_mode: _Optional[_Union[FailureMode, str]] = ..., lease_duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., misfire_policy: _Optional[_Union[MisfirePolicy, str]] = ..., misfire_grace: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., default_args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., enabled: bool = ..., retry_policy: _Optional[_Union[RetryPolicy, _Mapping]] = ..., history_limit: _Optional[int] = ...) -> None: ...

class ExecutionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class FailureMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class MisfirePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class OnExhausted(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
