from google.protobuf import timestamp_pb2 as _timestamp_pb2
from partitura.v1 import instance_pb2 as _instance_pb2
from partitura.v1 import task_pb2 as _task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DEAD_LETTER_OUTCOME_DONE: DeadLetterOutcome
DEAD_LETTER_OUTCOME_NOT_DEAD_LETTERED: DeadLetterOutcome
DEAD_LETTER_OUTCOME_NOT_FOUND: DeadLetterOutcome
DEAD_LETTER_OUTCOME_UNSPECIFIED: DeadLetterOutcome
DESCRIPTOR: _descriptor.FileDescriptor
MANUAL_RUN_OUTCOME_ACCEPTED: ManualRunOutcome
MANUAL_RUN_OUTCOME_BUSY: ManualRunOutcome
MANUAL_RUN_OUTCOME_DUPLICATE: ManualRunOutcome
MANUAL_RUN_OUTCOME_NOT_ACTIVE: ManualRunOutcome
MANUAL_RUN_OUTCOME_NOT_FOUND: ManualRunOutcome
MANUAL_RUN_OUTCOME_NO_SLOTS: ManualRunOutcome
MANUAL_RUN_OUTCOME_QUEUED: ManualRunOutcome
MANUAL_RUN_OUTCOME_UNSPECIFIED: ManualRunOutcome
PAUSE_OUTCOME_ALREADY_PAUSED: PauseOutcome
PAUSE_OUTCOME_NOT_FOUND: PauseOutcome
PAUSE_OUTCOME_PAUSED: PauseOutcome
PAUSE_OUTCOME_UNSPECIFIED: PauseOutcome
RESUME_OUTCOME_NOT_FOUND: ResumeOutcome
RESUME_OUTCOME_NOT_PAUSED: ResumeOutcome
RESUME_OUTCOME_RESUMED: ResumeOutcome
RESUME_OUTCOME_UNSPECIFIED: ResumeOutcome
SCHEDULE_MODE_FORCE: ScheduleMode
SCHEDULE_MODE_SAFE: ScheduleMode
SCHEDULE_MODE_UNSPECIFIED: ScheduleMode
SCHEDULE_OUTCOME_CREATED: ScheduleOutcome
SCHEDULE_OUTCOME_LOCKED: ScheduleOutcome
SCHEDULE_OUTCOME_UNSPECIFIED: ScheduleOutcome
SCHEDULE_OUTCOME_UPDATED: ScheduleOutcome
SLOT_DST_MARK_MERGED: SlotDstMark
SLOT_DST_MARK_MOVED: SlotDstMark
SLOT_DST_MARK_REPEATED: SlotDstMark
SLOT_DST_MARK_UNSPECIFIED: SlotDstMark

class BackfillInstancesRequest(_message.Message):
    __slots__ = ["end", "names", "partition_key", "request_id", "start", "task"]
    END_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    end: _timestamp_pb2.Timestamp
    names: _containers.RepeatedScalarFieldContainer[str]
    partition_key: str
    request_id: str
    start: _timestamp_pb2.Timestamp
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., partition_key: _Optional[str] = ...) -> None: ...

class BackfillInstancesResponse(_message.Message):
    __slots__ = ["outcomes", "request_id", "slots"]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedScalarFieldContainer[ManualRunOutcome]
    request_id: str
    slots: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[ManualRunOutcome, str]]] = ..., slots: _Optional[_Iterable[int]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteTaskRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteTaskResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DiscardDeadLettersRequest(_message.Message):
    __slots__ = ["names", "partition_key", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    partition_key: str
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., partition_key: _Optional[str] = ...) -> None: ...

class DiscardDeadLettersResponse(_message.Message):
    __slots__ = ["outcomes"]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedScalarFieldContainer[DeadLetterOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[DeadLetterOutcome, str]]] = ...) -> None: ...

class GetInstanceRequest(_message.Message):
    __slots__ = ["name", "partition_key", "task"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    name: str
    partition_key: str
    task: str
    def __init__(self, task: _Optional[str] = ..., name: _Optional[str] = ..., partition_key: _Optional[str] = ...) -> None: ...

class GetInstanceResponse(_message.Message):
    __slots__ = ["instance"]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    instance: _instance_pb2.Instance
    def __init__(self, instance: _Optional[_Union[_instance_pb2.Instance, _Mapping]] = ...) -> None: ...

class GetPartitionMapRequest(_message.Message):
    __slots__ = ["task"]
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: str
    def __init__(self, task: _Optional[str] = ...) -> None: ...

class GetPartitionMapResponse(_message.Message):
    __slots__ = ["replicas", "version"]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    replicas: _containers.RepeatedCompositeFieldContainer[ReplicaPartitions]
    version: int
    def __init__(self, replicas: _Optional[_Iterable[_Union[ReplicaPartitions, _Mapping]]] = ..., version: _Optional[int] = ...) -> None: ...

class GetTaskRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetTaskResponse(_message.Message):
    __slots__ = ["task"]
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, _Mapping]] = ...) -> None: ...

class ListInstancesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "partition", "state", "task"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    partition: int
    state: _instance_pb2.InstanceState
    task: str
    def __init__(self, task: _Optional[str] = ..., partition: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_instance_pb2.InstanceState, str]] = ...) -> None: ...

class ListInstancesResponse(_message.Message):
    __slots__ = ["instances", "next_page_token"]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_instance_pb2.Instance]
    next_page_token: str
    def __init__(self, instances: _Optional[_Iterable[_Union[_instance_pb2.Instance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListTasksRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTasksResponse(_message.Message):
    __slots__ = ["next_page_token", "tasks"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    tasks: _containers.RepeatedCompositeFieldContainer[_task_pb2.Task]
    def __init__(self, tasks: _Optional[_Iterable[_Union[_task_pb2.Task, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PauseInstancesRequest(_message.Message):
    __slots__ = ["names", "note", "partition", "partition_key", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    note: str
    partition: int
    partition_key: str
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., note: _Optional[str] = ..., partition_key: _Optional[str] = ..., partition: _Optional[int] = ...) -> None: ...

class PauseInstancesResponse(_message.Message):
    __slots__ = ["changed", "outcomes"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    changed: int
    outcomes: _containers.RepeatedScalarFieldContainer[PauseOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[PauseOutcome, str]]] = ..., changed: _Optional[int] = ...) -> None: ...

class PreviewScheduleRequest(_message.Message):
    __slots__ = ["count", "instance", "partition_key", "schedule", "task"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    count: int
    instance: str
    partition_key: str
    schedule: _task_pb2.Schedule
    task: str
    def __init__(self, schedule: _Optional[_Union[_task_pb2.Schedule, _Mapping]] = ..., task: _Optional[str] = ..., instance: _Optional[str] = ..., partition_key: _Optional[str] = ..., count: _Optional[int] = ..., **kwargs) -> None: ...

class PreviewScheduleResponse(_message.Message):
    __slots__ = ["schedule", "slots"]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    schedule: _task_pb2.Schedule
    slots: _containers.RepeatedCompositeFieldContainer[PreviewSlot]
    def __init__(self, slots: _Optional[_Iterable[_Union[PreviewSlot, _Mapping]]] = ..., schedule: _Optional[_Union[_task_pb2.Schedule, _Mapping]] = ...) -> None: ...

class PreviewSlot(_message.Message):
    __slots__ = ["at", "deliver_at", "dst", "local_time"]
    AT_FIELD_NUMBER: _ClassVar[int]
    DELIVER_AT_FIELD_NUMBER: _ClassVar[int]
    DST_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TIME_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    deliver_at: _timestamp_pb2.Timestamp
    dst: SlotDstMark
    local_time: str
    def __init__(self, at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dst: _Optional[_Union[SlotDstMark, str]] = ..., local_time: _Optional[str] = ...) -> None: ...

class PutTaskRequest(_message.Message):
    __slots__ = ["task"]
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, _Mapping]] = ...) -> None: ...

class PutTaskResponse(_message.Message):
    __slots__ = ["task"]
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, _Mapping]] = ...) -> None: ...

class ReplicaPartitions(_message.Message):
    __slots__ = ["address", "partitions"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    address: str
    partitions: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, address: _Optional[str] = ..., partitions: _Optional[_Iterable[int]] = ...) -> None: ...

class RequeueDeadLettersRequest(_message.Message):
    __slots__ = ["names", "partition_key", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    partition_key: str
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., partition_key: _Optional[str] = ...) -> None: ...

class RequeueDeadLettersResponse(_message.Message):
    __slots__ = ["outcomes"]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedScalarFieldContainer[DeadLetterOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[DeadLetterOutcome, str]]] = ...) -> None: ...

class ResumeInstancesRequest(_message.Message):
    __slots__ = ["names", "partition", "partition_key", "skip_missed", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    SKIP_MISSED_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    partition: int
    partition_key: str
    skip_missed: bool
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., skip_missed: bool = ..., partition_key: _Optional[str] = ..., partition: _Optional[int] = ...) -> None: ...

class ResumeInstancesResponse(_message.Message):
    __slots__ = ["changed", "outcomes"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    changed: int
    outcomes: _containers.RepeatedScalarFieldContainer[ResumeOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[ResumeOutcome, str]]] = ..., changed: _Optional[int] = ...) -> None: ...

class ScheduleRequest(_message.Message):
    __slots__ = ["instances", "mode", "task"]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_instance_pb2.InstanceSpec]
    mode: ScheduleMode
    task: str
    def __init__(self, task: _Optional[str] = ..., instances: _Optional[_Iterable[_Union[_instance_pb2.InstanceSpec, _Mapping]]] = ..., mode: _Optional[_Union[ScheduleMode, str]] = ...) -> None: ...

class ScheduleResponse(_message.Message):
    __slots__ = ["instances", "outcomes"]
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_instance_pb2.Instance]
    outcomes: _containers.RepeatedScalarFieldContainer[ScheduleOutcome]
    def __init__(self, instances: _Optional[_Iterable[_Union[_instance_pb2.Instance, _Mapping]]] = ..., outcomes: _Optional[_Iterable[_Union[ScheduleOutcome, str]]] = ...) -> None: ...

class TriggerInstancesRequest(_message.Message):
    __slots__ = ["names", "partition_key", "request_id", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    partition_key: str
    request_id: str
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., partition_key: _Optional[str] = ...) -> None: ...

class TriggerInstancesResponse(_message.Message):
    __slots__ = ["outcomes", "request_id"]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedScalarFieldContainer[ManualRunOutcome]
    request_id: str
    def __init__(self, outcomes: _Optional[_Iterable[_Union[ManualRunOutcome, str]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UnscheduleRequest(_message.Message):
    __slots__ = ["names", "partition_key", "task"]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    PARTITION_KEY_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    partition_key: str
    task: str
    def __init__(self, task: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ..., partition_key: _Optional[str] = ...) -> None: ...

class UnscheduleResponse(_message.Message):
    __slots__ = ["removed"]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class ScheduleMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ScheduleOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SlotDstMark(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PauseOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ResumeOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class DeadLetterOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ManualRunOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
