from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from partitura.v1 import instance_pb2 as _instance_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
LEASE_STATUS_LEASE_LOST: LeaseStatus
LEASE_STATUS_NOT_FOUND: LeaseStatus
LEASE_STATUS_OK: LeaseStatus
LEASE_STATUS_UNSPECIFIED: LeaseStatus
OUTCOME_FAILURE: Outcome
OUTCOME_SUCCESS: Outcome
OUTCOME_UNSPECIFIED: Outcome

class AckItem(_message.Message):
    __slots__ = ["error", "lease_id", "outcome", "retry_after"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    error: str
    lease_id: str
    outcome: Outcome
    retry_after: _duration_pb2.Duration
    def __init__(self, lease_id: _Optional[str] = ..., outcome: _Optional[_Union[Outcome, str]] = ..., retry_after: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class AckRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AckItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AckItem, _Mapping]]] = ...) -> None: ...

class AckResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AckResult]
    def __init__(self, results: _Optional[_Iterable[_Union[AckResult, _Mapping]]] = ...) -> None: ...

class AckResult(_message.Message):
    __slots__ = ["lease_id", "status"]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    lease_id: str
    status: LeaseStatus
    def __init__(self, lease_id: _Optional[str] = ..., status: _Optional[_Union[LeaseStatus, str]] = ...) -> None: ...

class ExecuteRequest(_message.Message):
    __slots__ = ["max_in_flight", "partitions", "task", "worker_id"]
    MAX_IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    max_in_flight: int
    partitions: _containers.RepeatedScalarFieldContainer[int]
    task: str
    worker_id: str
    def __init__(self, task: _Optional[str] = ..., partitions: _Optional[_Iterable[int]] = ..., worker_id: _Optional[str] = ..., max_in_flight: _Optional[int] = ...) -> None: ...

class ExecuteResponse(_message.Message):
    __slots__ = ["executions"]
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[Execution]
    def __init__(self, executions: _Optional[_Iterable[_Union[Execution, _Mapping]]] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ["args", "attempt", "instance", "lease_expires_at", "lease_id", "partition", "reason", "scheduled_at", "task"]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    args: _struct_pb2.Struct
    attempt: int
    instance: str
    lease_expires_at: _timestamp_pb2.Timestamp
    lease_id: str
    partition: int
    reason: _instance_pb2.ExecutionReason
    scheduled_at: _timestamp_pb2.Timestamp
    task: str
    def __init__(self, lease_id: _Optional[str] = ..., task: _Optional[str] = ..., instance: _Optional[str] = ..., partition: _Optional[int] = ..., scheduled_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., lease_expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., args: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., attempt: _Optional[int] = ..., reason: _Optional[_Union[_instance_pb2.ExecutionReason, str]] = ...) -> None: ...

class ExtendItem(_message.Message):
    __slots__ = ["duration", "lease_id"]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    duration: _duration_pb2.Duration
    lease_id: str
    def __init__(self, lease_id: _Optional[str] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ExtendLeasesRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ExtendItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ExtendItem, _Mapping]]] = ...) -> None: ...

class ExtendLeasesResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ExtendResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ExtendResult, _Mapping]]] = ...) -> None: ...

class ExtendResult(_message.Message):
    __slots__ = ["lease_expires_at", "lease_id", "status"]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    lease_expires_at: _timestamp_pb2.Timestamp
    lease_id: str
    status: LeaseStatus
    def __init__(self, lease_id: _Optional[str] = ..., status: _Optional[_Union[LeaseStatus, str]] = ..., lease_expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class LeaseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
