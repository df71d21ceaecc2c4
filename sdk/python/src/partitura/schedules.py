"""Builders of schedules: cron(...), every(...) and at(...) return partitura.v1 Schedule messages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional, Union

from google.protobuf import duration_pb2, timestamp_pb2

from partitura.v1 import task_pb2

Schedule = task_pb2.Schedule


Jitter = Optional[Union[timedelta, float]]
"""Deterministic jitter (a timedelta, or seconds): each slot is delivered up to this much after it."""


Bound = Optional[datetime]
"""A schedule bound: an aware datetime (start_at: no slot before it; end_at: none after it)."""


def cron(
    expression: str,
    tz: str = "",
    *,
    jitter: Jitter = None,
    start_at: Bound = None,
    end_at: Bound = None,
    max_runs: int = 0,
) -> task_pb2.Schedule:
    """A cron schedule: 5 fields, or 6 with seconds first; `tz` is an IANA zone (empty: UTC).
    With `start_at` the first slot is the first at or after it; with `end_at` the instance is
    removed after its last slot at or before it; with `max_runs` after that many slots (the
    server stores it as the end_at of the N-th slot, counted from the first)."""
    schedule = _jittered(task_pb2.Schedule(cron=expression, timezone=tz), jitter)
    return _limited(_bounded(schedule, start_at, end_at), max_runs)


def every(
    interval: Union[timedelta, float],
    *,
    jitter: Jitter = None,
    start_at: Bound = None,
    end_at: Bound = None,
    max_runs: int = 0,
) -> task_pb2.Schedule:
    """Every `interval` (a timedelta, or seconds), counted from the scheduled slot (no drift).
    With `start_at` still ahead the first slot is `start_at` itself; with `end_at` the instance
    is removed after its last slot at or before it; with `max_runs` after that many slots (the
    server stores it as the end_at of the N-th slot, counted from the first)."""
    schedule = _jittered(task_pb2.Schedule(interval=duration(interval)), jitter)
    return _limited(_bounded(schedule, start_at, end_at), max_runs)


def at(when: datetime, *, jitter: Jitter = None) -> task_pb2.Schedule:
    """Once, at `when`; a naive datetime is refused (it would silently depend on the machine's zone)."""
    return _jittered(task_pb2.Schedule(at=timestamp(when)), jitter)


def _jittered(schedule: task_pb2.Schedule, jitter: Jitter) -> task_pb2.Schedule:
    """`schedule` with its jitter set (at most 1 h; for an interval, at most the interval)."""
    if jitter is not None:
        schedule.jitter.CopyFrom(duration(jitter))
    return schedule


def _bounded(schedule: task_pb2.Schedule, start_at: Bound, end_at: Bound) -> task_pb2.Schedule:
    """`schedule` with its bounds set (the server refuses an end_at not after start_at)."""
    if start_at is not None:
        schedule.start_at.CopyFrom(timestamp(start_at, "start_at"))
    if end_at is not None:
        schedule.end_at.CopyFrom(timestamp(end_at, "end_at"))
    return schedule


def _limited(schedule: task_pb2.Schedule, max_runs: int) -> task_pb2.Schedule:
    """`schedule` with its max_runs set (0: no limit; the server refuses more than 100,000)."""
    if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 0:
        raise ValueError(f"max_runs: must be a whole number of runs (0: no limit), got {max_runs!r}")
    schedule.max_runs = max_runs
    return schedule


def duration(value: Union[timedelta, float]) -> duration_pb2.Duration:
    """A Duration of a timedelta or of seconds."""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    result = duration_pb2.Duration()
    result.FromNanoseconds(round(seconds * 1e9))
    return result


def timestamp(when: datetime, field: str = "at") -> timestamp_pb2.Timestamp:
    """A Timestamp of an aware datetime; `field` names it when a naive one is refused."""
    if when.tzinfo is None:
        raise ValueError(f"{field}: the datetime needs a time zone (for example datetime.now(timezone.utc))")
    result = timestamp_pb2.Timestamp()
    result.FromDatetime(when.astimezone(timezone.utc))
    return result


def to_datetime(value: timestamp_pb2.Timestamp) -> datetime:
    """An aware UTC datetime of a Timestamp."""
    return datetime.fromtimestamp(value.seconds + value.nanos / 1e9, tz=timezone.utc)
