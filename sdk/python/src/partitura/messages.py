"""Builders of the messages a Client sends: tasks and instance specs from keyword arguments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping, Optional, Union, cast

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from partitura.v1 import instance_pb2, task_pb2

from .args import to_struct
from .schedules import duration

EnumValue = Union[int, str]
"""An enum as its number or its short name: "at_most_once" for EXECUTION_MODE_AT_MOST_ONCE."""

Seconds = Union[timedelta, float]


def enum_value(enum: EnumTypeWrapper, prefix: str, value: EnumValue) -> int:
    """The number of `value` in `enum`; a name may omit `prefix` and is case-insensitive."""
    if isinstance(value, int):
        return value
    name = value.upper()
    if not name.startswith(prefix):
        name = prefix + name
    try:
        return int(enum.Value(name))
    except ValueError:
        names = ", ".join(n[len(prefix) :].lower() for n in enum.keys() if not n.endswith("UNSPECIFIED"))
        raise ValueError(f"{value!r} is not one of: {names}") from None


def task(
    name: str,
    *,
    dynamic: bool = False,
    schedule: Optional[task_pb2.Schedule] = None,
    partition_count: int = 0,
    execution_mode: EnumValue = 0,
    failure_mode: EnumValue = 0,
    lease_duration: Optional[Seconds] = None,
    misfire_policy: EnumValue = 0,
    misfire_grace: Optional[Seconds] = None,
    default_args: Optional[Mapping[str, Any]] = None,
    enabled: Optional[bool] = None,
    retry_policy: Optional[task_pb2.RetryPolicy] = None,
) -> task_pb2.Task:
    """A Task message; unset fields mean the server's documented defaults."""
    message = task_pb2.Task(
        name=name,
        dynamic=dynamic,
        partition_count=partition_count,
        execution_mode=cast(Any, enum_value(task_pb2.ExecutionMode, "EXECUTION_MODE_", execution_mode)),
        failure_mode=cast(Any, enum_value(task_pb2.FailureMode, "FAILURE_MODE_", failure_mode)),
        misfire_policy=cast(Any, enum_value(task_pb2.MisfirePolicy, "MISFIRE_POLICY_", misfire_policy)),
    )
    if schedule is not None:
        message.schedule.CopyFrom(schedule)
    if lease_duration is not None:
        message.lease_duration.CopyFrom(duration(lease_duration))
    if misfire_grace is not None:
        message.misfire_grace.CopyFrom(duration(misfire_grace))
    struct = to_struct(default_args)
    if struct is not None:
        message.default_args.CopyFrom(struct)
    if enabled is not None:
        message.enabled = enabled
    if retry_policy is not None:
        message.retry_policy.CopyFrom(retry_policy)
    return message


def retry_policy(
    max_attempts: int,
    *,
    initial_interval: Optional[Seconds] = None,
    backoff_coefficient: float = 0.0,
    max_interval: Optional[Seconds] = None,
    jitter: Optional[Seconds] = None,
    on_exhausted: EnumValue = 0,
) -> task_pb2.RetryPolicy:
    """A RetryPolicy: a failed slot runs again after initial_interval x backoff_coefficient^(attempt-1)
    (defaults 1 s and 2), at most max_attempts times; then `on_exhausted` ("continue", "pause"
    or "dead_letter") decides."""
    message = task_pb2.RetryPolicy(
        max_attempts=max_attempts,
        backoff_coefficient=backoff_coefficient,
        on_exhausted=cast(Any, enum_value(task_pb2.OnExhausted, "ON_EXHAUSTED_", on_exhausted)),
    )
    if initial_interval is not None:
        message.initial_interval.CopyFrom(duration(initial_interval))
    if max_interval is not None:
        message.max_interval.CopyFrom(duration(max_interval))
    if jitter is not None:
        message.jitter.CopyFrom(duration(jitter))
    return message


def instance(
    name: str,
    schedule: Optional[task_pb2.Schedule] = None,
    args: Optional[Mapping[str, Any]] = None,
    partition_key: str = "",
) -> instance_pb2.InstanceSpec:
    """An InstanceSpec; no schedule means the task's default schedule."""
    message = instance_pb2.InstanceSpec(name=name, partition_key=partition_key)
    if schedule is not None:
        message.schedule.CopyFrom(schedule)
    struct = to_struct(args)
    if struct is not None:
        message.args.CopyFrom(struct)
    return message
