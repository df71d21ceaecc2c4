"""What a Worker's handler receives, and the exception that asks for a retry after a delay."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Union

from partitura.v1 import execution_service_pb2 as ex

from .args import from_struct
from .manual_runs import reason_name
from .schedules import to_datetime


class Execution:
    """One due slot of one instance, held under a lease until the handler returns.

    `cancelled` is set when the worker should give up: the lease was lost (expired, or the
    instance was unscheduled) or the worker is stopping and the grace period is over.
    """

    def __init__(self, message: ex.Execution) -> None:
        self.message = message
        self.lease_id: str = message.lease_id
        self.task: str = message.task
        self.instance: str = message.instance
        self.partition: int = message.partition
        self.attempt: int = message.attempt
        self.scheduled_at: datetime = to_datetime(message.scheduled_at)
        # Why it runs: "scheduled", "retry", "triggered" (Client.trigger) or "backfill".
        self.reason: str = reason_name(message.reason)
        self.args: Dict[str, Any] = from_struct(message.args)
        self.cancelled = threading.Event()

    def __repr__(self) -> str:
        return f"Execution({self.task}/{self.instance} at {self.scheduled_at.isoformat()}, attempt {self.attempt})"


Handler = Callable[[Execution], None]
"""Runs one execution; returning acks SUCCESS, raising acks FAILURE (RetryLater: with a delay)."""


class RetryLater(Exception):
    """Raise from a handler to fail the execution and ask for a retry after `delay` (failure mode UNLOCK)."""

    def __init__(self, delay: Union[timedelta, float], message: str = "") -> None:
        self.delay = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        super().__init__(message or f"retry in {self.delay} s")
