"""Builders of schedules: cron(...), every(...) and at(...) return partitura.v1 Schedule messages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Union

from google.protobuf import duration_pb2, timestamp_pb2

from partitura.v1 import task_pb2

Schedule = task_pb2.Schedule


def cron(expression: str, tz: str = "") -> task_pb2.Schedule:
    """A cron schedule: 5 fields, or 6 with seconds first; `tz` is an IANA zone (empty: UTC)."""
    return task_pb2.Schedule(cron=expression, timezone=tz)


def every(interval: Union[timedelta, float]) -> task_pb2.Schedule:
    """Every `interval` (a timedelta, or seconds), counted from the scheduled slot (no drift)."""
    return task_pb2.Schedule(interval=duration(interval))


def at(when: datetime) -> task_pb2.Schedule:
    """Once, at `when`; a naive datetime is refused (it would silently depend on the machine's zone)."""
    return task_pb2.Schedule(at=timestamp(when))


def duration(value: Union[timedelta, float]) -> duration_pb2.Duration:
    """A Duration of a timedelta or of seconds."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    result = duration_pb2.Duration()
    result.FromNanoseconds(round(seconds * 1e9))
    return result


def timestamp(when: datetime) -> timestamp_pb2.Timestamp:
    """A Timestamp of an aware datetime."""
    if when.tzinfo is None:
        raise ValueError("at: the datetime needs a time zone (for example datetime.now(timezone.utc))")
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(when.astimezone(timezone.utc))
    return result


def to_datetime(value: timestamp_pb2.Timestamp) -> datetime:
    """An aware UTC datetime of a Timestamp."""
    return datetime.fromtimestamp(value.seconds + value.nanos / 1e9, tz=timezone.utc)
